package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An event's result: its identity from the event, attributed_at when built. */
class ResultBuilderTest {

    @Test
    void aResultCarriesItsEventsIdentityAndWhenItWasBuilt() {
        EvalOutput event = PipelineFlowTest.event("e1", "run-1", "m", "Q: ");
        Instant before = Instant.now();
        ResultBuilder b = new ResultBuilder(event, Verdict.INCORRECT, AttributionStatus.NO_CONTRAST, "no pair");
        b.retokenizationMismatch = true;
        AttributionResult r = b.build();
        assertThat(r.schema()).isEqualTo(AttributionResult.SCHEMA);
        assertThat(List.of(r.eventId(), r.runId(), r.benchmark(), r.exampleId(), r.producedAt()))
                .containsExactly("e1", "run-1", "unit", "e1", "2026-11-24T00:00:00Z");
        assertThat(r.model()).isEqualTo(event.model());
        assertThat(r.verdict()).isEqualTo(Verdict.INCORRECT);
        assertThat(r.status()).isEqualTo(AttributionStatus.NO_CONTRAST);
        assertThat(r.reason()).isEqualTo("no pair");
        assertThat(r.retokenizationMismatch()).isTrue();
        assertThat(Instant.parse(r.attributedAt())).isAfterOrEqualTo(before.minusMillis(1));
    }

    @Test
    void aCachedResultCopiedForAnotherEventKeepsItsContentAndAttributionTime() {
        AttributionResult cached = new ResultBuilder(
                        PipelineFlowTest.event("e1", "run-1", "m", "Q: "),
                        Verdict.INCORRECT,
                        AttributionStatus.LOW_LOGIT_DIFF,
                        "small")
                .build();
        EvalOutput other = PipelineFlowTest.event("e2", "run-2", "m", "Q: ");
        AttributionResult mine = cached.toBuilder().identity(other).build();
        assertThat(List.of(mine.eventId(), mine.runId(), mine.exampleId())).containsExactly("e2", "run-2", "e2");
        assertThat(mine.attributedAt()).isEqualTo(cached.attributedAt());
        assertThat(mine.toBuilder()
                        .identity(PipelineFlowTest.event("e1", "run-1", "m", "Q: "))
                        .build())
                .isEqualTo(cached);
    }
}
