package dev.faultline.pipeline;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.time.Instant;

/** Assembles an event's {@link AttributionResult}: its identity from the event, attributed_at when built. */
public final class ResultBuilder extends AttributionResult.Builder {

    public ResultBuilder(EvalOutput event, Verdict verdict, AttributionStatus status, String reason) {
        identity(event);
        this.verdict = verdict;
        this.status = status;
        this.reason = reason;
    }

    @Override
    public AttributionResult build() {
        attributedAt = Instant.now().toString();
        return super.build();
    }
}
