package dev.faultline.contract;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One answered example of an evaluation run: the {@code faultline.eval-output/v1} event (DESIGN.md section 2.1). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvalOutput(
        String schema,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("run_id") String runId,
        ModelRef model,
        String benchmark,
        @JsonProperty("example_id") String exampleId,
        String prompt,
        String output,
        List<String> references,
        Scoring scoring,
        Boolean correct,
        List<Segment> segments,
        ErrorHint error,
        @JsonProperty("produced_at") String producedAt) {

    public static final String SCHEMA = "faultline.eval-output/v1";

    /** The model that answered; {@code step} (optional) orders revisions. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ModelRef(String name, String revision, Long step) {

        /** {@code name@revision}, the key of attribution jobs. */
        public String key() {
            return name + "@" + (revision == null ? "main" : revision);
        }
    }

    /** How the output is compared with the references; {@code pattern} for {@code regex}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Scoring(String method, String pattern) {
    }

    /** A character span {@code [start, end)} of the prompt. */
    public record Segment(String name, int start, int end) {
    }

    /** A producer's (or judge's) own error position and contrast text. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorHint(@JsonProperty("output_char_index") Integer outputCharIndex,
            @JsonProperty("contrast_text") String contrastText) {
    }
}
