package dev.faultline.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** One answered example of an evaluation run: the {@code faultline.eval-output/v1} event (docs/contract.md). */
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
        @JsonProperty("produced_at") String producedAt,
        /** A chat as role/content turns, rendered with the model's chat template; {@code prompt} may then be absent. */
        List<Map<String, Object>> messages,
        /** Whether the template appends the assistant turn's opening (default true). */
        @JsonProperty("add_generation_prompt") Boolean addGenerationPrompt,
        /** Extra template variables, e.g. Qwen3's {@code enable_thinking}. */
        @JsonProperty("chat_template_kwargs") Map<String, Object> chatTemplateKwargs,
        /** The answer a harness filter took from {@code output} (lm-eval {@code filtered_resps}). */
        @JsonProperty("extracted_answer") String extractedAnswer,
        /** The ids the model consumed; attributed as given when present. */
        @JsonProperty("prompt_token_ids") List<Integer> promptTokenIds,
        /** The ids the model generated; attributed as given when present. */
        @JsonProperty("output_token_ids") List<Integer> outputTokenIds) {

    public static final String SCHEMA = "faultline.eval-output/v1";

    /** An event without the optional additions (docs/contract.md). */
    public EvalOutput(
            String schema,
            String eventId,
            String runId,
            ModelRef model,
            String benchmark,
            String exampleId,
            String prompt,
            String output,
            List<String> references,
            Scoring scoring,
            Boolean correct,
            List<Segment> segments,
            ErrorHint error,
            String producedAt) {
        this(
                schema,
                eventId,
                runId,
                model,
                benchmark,
                exampleId,
                prompt,
                output,
                references,
                scoring,
                correct,
                segments,
                error,
                producedAt,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    /** The same event with another prompt, segments and references (everything else kept). */
    public EvalOutput with(String newPrompt, List<Segment> newSegments, List<String> newReferences) {
        return new EvalOutput(
                schema,
                eventId,
                runId,
                model,
                benchmark,
                exampleId,
                newPrompt,
                output,
                newReferences,
                scoring,
                correct,
                newSegments,
                error,
                producedAt,
                messages,
                addGenerationPrompt,
                chatTemplateKwargs,
                extractedAnswer,
                promptTokenIds,
                outputTokenIds);
    }

    /** Whether the prompt is a chat to render with the model's template. */
    public boolean hasMessages() {
        return messages != null && !messages.isEmpty();
    }

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
    public record Scoring(String method, String pattern) {}

    /**
     * A character span {@code [start, end)} of the prompt, or, with {@code message} (a role such as {@code user}, or
     * a turn index), the content of those chat messages in the rendered prompt.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Segment(String name, int start, int end, String message) {

        public Segment(String name, int start, int end) {
            this(name, start, end, null);
        }
    }

    /** A producer's (or judge's) own error position and contrast text. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorHint(
            @JsonProperty("output_char_index") Integer outputCharIndex,
            @JsonProperty("contrast_text") String contrastText) {}
}
