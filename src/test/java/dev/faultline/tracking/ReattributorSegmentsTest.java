package dev.faultline.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.pipeline.ResultSummarizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tracker sums segments the way live results do, nested segments included: a failure's own point at its own
 * revision has exactly the segment sums of its live result.
 */
class ReattributorSegmentsTest {

    static final String TEXT = "Tom had a ball. the";
    static final int PROMPT_LENGTH = 15;

    @Test
    void ownPointHasTheLiveResultsSegmentSumsWithNestedSegments() {
        List<EvalOutput.Segment> segs = List.of(
                new EvalOutput.Segment("sentence", 0, 14),
                new EvalOutput.Segment("object", 10, 14)); // inside "sentence"
        List<AttributionResult.Token> raw = List.of(
                new AttributionResult.Token("<s>", 1, 0, 0, 5.0, true, null),
                new AttributionResult.Token("Tom", 10, 0, 3, 1.0, false, null),
                new AttributionResult.Token(" had", 11, 3, 7, -2.0, false, null),
                new AttributionResult.Token(" a", 12, 7, 9, 0.5, false, null),
                new AttributionResult.Token(" ball", 13, 9, 14, 4.0, false, null),
                new AttributionResult.Token(".", 14, 14, 15, 0.25, false, null),
                new AttributionResult.Token(" the", 15, 15, 19, -1.0, false, null));
        // tokens as the summarizer places them (memberships from the text), and the live segment sums
        List<AttributionResult.Token> tokens = raw.stream()
                .map(t -> {
                    List<String> in = t.special()
                            ? List.of()
                            : ResultSummarizer.memberships(TEXT, t.start(), t.end(), PROMPT_LENGTH, segs);
                    return new AttributionResult.Token(
                            t.text(),
                            t.id(),
                            t.start(),
                            t.end(),
                            t.relevance(),
                            t.special(),
                            t.special() ? null : in.isEmpty() ? "other" : in.get(0),
                            in.size() > 1 ? in : null);
                })
                .toList();
        assertThat(tokens.get(4).inSegments()).containsExactly("sentence", "object");
        assertThat(tokens.get(1).inSegments()).isNull();
        var live = ResultSummarizer.segments(raw, segs, ResultSummarizer.normalizer(tokens), TEXT, PROMPT_LENGTH);
        assertThat(live).isEqualTo(ResultSummarizer.segments(tokens, segs, ResultSummarizer.normalizer(tokens)));
        var b = new AttributionResult.Builder();
        b.eventId = "e1";
        b.runId = "run";
        b.model = new EvalOutput.ModelRef("m", "main", 1L);
        b.benchmark = "b";
        b.exampleId = "x";
        b.status = AttributionStatus.ATTRIBUTED;
        b.verdict = Verdict.INCORRECT;
        b.target = new AttributionResult.Target(
                6, new AttributionResult.TokenRef(16, " ball"), new AttributionResult.TokenRef(10, " Tom"), 3.0, 2);
        b.tokens = tokens;
        b.segments = live;
        b.retokenizationMismatch = false;
        AttributionResult r = b.build();

        TrackedFailure f = TrackedFailure.of(r);
        TrajectoryPoint own = Reattributor.ownPoint(f, new Revision("main", 1L, 0, 1.0), r);

        assertThat(own.segments()).isEqualTo(live);
        var object = own.segments().stream()
                .filter(s -> s.name().equals("object"))
                .findFirst()
                .orElseThrow();
        assertThat(object.relevance()).as("the nested segment sums its token").isCloseTo(4.0, within(1e-12));
        var sentence = own.segments().stream()
                .filter(s -> s.name().equals("sentence"))
                .findFirst()
                .orElseThrow();
        assertThat(sentence.relevance()).isCloseTo(3.5, within(1e-12));
    }
}
