package dev.faultline.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Copies of a result through {@link AttributionResult#toBuilder()}: every field kept unless changed. */
class AttributionResultBuilderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anUnchangedCopyIsEqualAndWritesTheSameJson() throws Exception {
        AttributionResult r = AttributionSchemaTest.attributed("every field set");
        AttributionResult copy = r.toBuilder().build();
        assertThat(copy).isEqualTo(r);
        assertThat(JSON.writeValueAsString(copy)).isEqualTo(JSON.writeValueAsString(r));
    }

    @Test
    void identityReplacesTheEventFieldsAndKeepsTheContent() {
        AttributionResult r = AttributionSchemaTest.attributed("every field set");
        var model = new EvalOutput.ModelRef("m", "step2000", 2000L);
        AttributionResult mine = r.toBuilder()
                .identity("other-event", "other-run", model, "gsm8k-copy", "gsm8k/2", "2026-11-25T08:00:00Z")
                .build();
        assertThat(List.of(mine.eventId(), mine.runId(), mine.benchmark(), mine.exampleId(), mine.producedAt()))
                .containsExactly("other-event", "other-run", "gsm8k-copy", "gsm8k/2", "2026-11-25T08:00:00Z");
        assertThat(mine.model()).isEqualTo(model);
        // the rest is the copied result's, attributed_at included
        var back = mine.toBuilder()
                .identity(r.eventId(), r.runId(), r.model(), r.benchmark(), r.exampleId(), r.producedAt())
                .build();
        assertThat(back).isEqualTo(r);
    }

    @Test
    void anEmptyBuilderHasOnlyTheSchema() throws Exception {
        AttributionResult r = new AttributionResult.Builder().build();
        assertThat(JSON.writeValueAsString(r)).isEqualTo("{\"schema\":\"" + AttributionResult.SCHEMA + "\"}");
    }
}
