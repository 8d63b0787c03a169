package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.contract.AttributionResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * One failure of a tracked set: everything needed to re-attribute it at another revision, all taken from its result
 * on {@code attribution.results} (so the set can be rebuilt from that topic): the teacher-forced input ids, the
 * target position, the wrong and contrast tokens, and each input token's span and segment.
 */
public record TrackedFailure(
        @JsonProperty("event_id") String eventId,
        String model,
        String revision,
        Long step,
        String benchmark,
        @JsonProperty("example_id") String exampleId,
        @JsonProperty("input_ids") int[] inputIds,
        int position,
        int wrong,
        @JsonProperty("wrong_text") String wrongText,
        int contrast,
        @JsonProperty("contrast_text") String contrastText,
        @JsonProperty("logit_diff") double logitDiff,
        List<TokenSpan> tokens,
        @JsonProperty("segment_names") List<String> segmentNames) {

    /**
     * An input token's text, character span in {@code prompt + output}, segment (null for special tokens) and, when
     * it lies in more than one (nested spans), every segment it belongs to (null in entries written before).
     */
    public record TokenSpan(
            String text,
            int start,
            int end,
            boolean special,
            String segment,

            @JsonProperty("in_segments") @JsonInclude(JsonInclude.Include.NON_NULL)
            List<String> inSegments) {}

    /** Key of the tracked set and of the trajectories topic: {@code <model>/<benchmark>/<event_id>}. */
    public String key() {
        return model + "/" + benchmark + "/" + eventId;
    }

    /**
     * The tracked entry of a result with a pair and its input tokens, or null when the result has none (statuses
     * without a pair, or results written before LOW_LOGIT_DIFF results carried tokens).
     */
    public static TrackedFailure of(AttributionResult r) {
        if (r.target() == null
                || r.tokens() == null
                || r.tokens().isEmpty()
                || r.target().contrast() == null
                || r.model() == null
                || r.model().name() == null
                || r.eventId() == null) {
            return null;
        }
        int[] ids = new int[r.tokens().size()];
        List<TokenSpan> spans = new ArrayList<>(ids.length);
        LinkedHashSet<String> names = new LinkedHashSet<>();
        if (r.segments() != null) {
            r.segments().forEach(s -> names.add(s.name()));
        }
        for (int i = 0; i < ids.length; i++) {
            AttributionResult.Token t = r.tokens().get(i);
            ids[i] = t.id();
            spans.add(new TokenSpan(t.text(), t.start(), t.end(), t.special(), t.segment(), t.inSegments()));
            if (t.segment() != null) {
                names.add(t.segment());
            }
        }
        String revision = r.model().revision() == null ? "main" : r.model().revision();
        return new TrackedFailure(
                r.eventId(),
                r.model().name(),
                revision,
                r.model().step(),
                r.benchmark() == null ? "unknown" : r.benchmark(),
                r.exampleId(),
                ids,
                r.target().position(),
                r.target().wrong().id(),
                r.target().wrong().text(),
                r.target().contrast().id(),
                r.target().contrast().text(),
                r.target().logitDiff(),
                spans,
                List.copyOf(names));
    }
}
