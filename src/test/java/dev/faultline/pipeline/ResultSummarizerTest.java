package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.DType;
import dev.faultline.engine.Faithfulness;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenLogit;
import dev.faultline.engine.TokenizedText;
import dev.faultline.triage.ContrastPair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The summary of a hand-made attribution: segments by character overlap, answer prefix, tops, layers, conservation. */
class ResultSummarizerTest {

    // "<s>" + "Tom had a ball." (prompt) + " the b" (output): BOS, ▁Tom, ▁had, ▁a, ▁ball, ., ▁the | ▁b (wrong)
    static final String PROMPT = "Tom had a ball.";
    static final String OUTPUT = " the ball";
    static final TokenizedText TEXT = new TokenizedText(
            new int[] {1, 10, 11, 12, 13, 14, 15, 16},
            new String[] {"<s>", "▁Tom", "▁had", "▁a", "▁ball", ".", "▁the", "▁ball"},
            new int[] {0, 0, 3, 7, 9, 14, 15, 19},
            new int[] {0, 3, 7, 9, 14, 15, 19, 24},
            new boolean[] {true, false, false, false, false, false, false, false});

    static final TextTokenizer TOK = new TextTokenizer() {
        public TokenizedText encode(String text, boolean special) {
            return TEXT;
        }

        public String decode(int[] ids, boolean skip) {
            return "";
        }

        public String tokenText(int id) {
            return TEXT.tokens()[id == 1 ? 0 : id - 9].replace('▁', ' ');
        }

        public int tokenId(String token) {
            return -1;
        }

        public boolean isSpecial(int id) {
            return id == 1;
        }
    };

    @Test
    void summaryCarriesSegmentsTopsLayersAndConservation() {
        EvalOutput event = new EvalOutput(
                EvalOutput.SCHEMA,
                "e1",
                "r1",
                new EvalOutput.ModelRef("m", "main", null),
                "b",
                "x",
                PROMPT,
                OUTPUT,
                List.of("Tom"),
                null,
                null,
                List.of(new EvalOutput.Segment("evidence", 0, 8), new EvalOutput.Segment("query", 8, 15)),
                null,
                null);
        // wrong token = the second " ball" at index 7; input = first 7 tokens (the answer prefix " the" included)
        ContrastPair pair = new ContrastPair(TEXT, 6, 7, 16, " ball", 10, " Tom", 5.0, 3.0, 2, "Tom");
        double[] rel = {0.1, -1.5, 0.2, 0.3, 1.0, -0.05, 0.4};
        Attribution a = new Attribution(
                6,
                16,
                10,
                5.0,
                3.0,
                2.0,
                2,
                rel,
                null,
                new double[][] {{1, -0.5}, {0.7, -0.2}},
                null,
                null,
                0.25,
                new double[] {0.25},
                0.3,
                new double[] {0.3},
                1e-7,
                List.of(new TokenLogit(16, " ball", 5.0)),
                new Faithfulness(2, 1.2, 0.1, 0.0, true, null, null),
                Map.of("forward", 1.0),
                Method.ATTNLRP,
                SoftmaxRule.ATTNLRP,
                DType.FLOAT32,
                "cpu");

        AttributionResult r = new ResultSummarizer(3, "test")
                .summarize(event, Verdict.INCORRECT, pair, a, TOK, false, Map.of("total", 2.0));

        assertThat(r.status()).isEqualTo(AttributionStatus.ATTRIBUTED);
        assertThat(r.target().position()).isEqualTo(6);
        assertThat(r.target().contrast().text()).isEqualTo(" Tom");
        assertThat(r.tokens())
                .extracting(AttributionResult.Token::segment)
                .containsExactly(null, "evidence", "evidence", "query", "query", "query", "answer");
        assertThat(r.tokens().get(0).special()).isTrue();
        assertThat(r.topPositive())
                .extracting(AttributionResult.IndexedRelevance::index)
                .containsExactly(4, 6, 3);
        assertThat(r.topNegative())
                .extracting(AttributionResult.IndexedRelevance::index)
                .containsExactly(1, 5);
        var segs = r.segments();
        assertThat(segs)
                .extracting(AttributionResult.SegmentRelevance::name)
                .containsExactly("evidence", "query", "answer");
        assertThat(segs.get(0).relevance()).isCloseTo(-1.3, within(1e-12));
        assertThat(segs.get(1).relevance()).isCloseTo(1.25, within(1e-12));
        assertThat(segs.get(1).normalized()).isCloseTo(1.25 / 1.5, within(1e-12));
        assertThat(segs.get(2).tokens()).isEqualTo(1);
        assertThat(r.layers()).hasSize(2);
        assertThat(r.layers().get(0).positive()).isEqualTo(1.0);
        assertThat(r.layers().get(0).negative()).isEqualTo(-0.5);
        assertThat(r.conservation().inputSum()).isCloseTo(0.45, within(1e-12));
        assertThat(r.conservation().biasAbsorbed()).isEqualTo(0.25);
        assertThat(r.faithfulness().informative()).isTrue();
        assertThat(r.engine().rules()).isEqualTo("attnlrp");
    }

    @Test
    void tokenOverlappingNoSegmentIsOther() {
        assertThat(ResultSummarizer.segmentOf("ab cd", 2, 5, 5, List.of(new EvalOutput.Segment("q", 0, 2))))
                .isEqualTo("other");
        // leading space excluded: " cd" at 2..5 does not touch a segment ending at 3 only through its space
        assertThat(ResultSummarizer.segmentOf("ab cd", 2, 5, 5, List.of(new EvalOutput.Segment("q", 0, 3))))
                .isEqualTo("other");
    }

    @Test
    void overlappingSegmentsEachSumEveryTokenTheyCover() {
        // tokens: BOS | Tom[0,3) had[3,7) a[7,9) ball[9,14) .[14,15) | the[15,19) (answer)
        List<AttributionResult.Token> tokens = List.of(
                new AttributionResult.Token("<s>", 1, 0, 0, 5.0, true, null),
                new AttributionResult.Token(" Tom", 10, 0, 3, 1.0, false, "sentence"),
                new AttributionResult.Token(" had", 11, 3, 7, -2.0, false, "sentence"),
                new AttributionResult.Token(" a", 12, 7, 9, 0.5, false, "sentence"),
                new AttributionResult.Token(" ball", 13, 9, 14, 4.0, false, "sentence"),
                new AttributionResult.Token(".", 14, 14, 15, 0.25, false, "other"),
                new AttributionResult.Token(" the", 15, 15, 19, -1.0, false, "answer"));
        List<EvalOutput.Segment> segs = List.of(
                new EvalOutput.Segment("sentence", 0, 14),
                new EvalOutput.Segment("object", 10, 14)); // inside "sentence"
        var out = ResultSummarizer.segments(tokens, segs, 4.0, PROMPT + OUTPUT, PROMPT.length());
        var byName = out.stream()
                .collect(java.util.stream.Collectors.toMap(AttributionResult.SegmentRelevance::name, r -> r));
        assertThat(byName.get("sentence").relevance()).isCloseTo(3.5, within(1e-12));
        assertThat(byName.get("sentence").tokens()).isEqualTo(4);
        assertThat(byName.get("object").relevance())
                .as("the nested segment is not emptied")
                .isCloseTo(4.0, within(1e-12));
        assertThat(byName.get("object").normalized()).isCloseTo(1.0, within(1e-12));
        assertThat(byName.get("other").relevance()).isCloseTo(0.25, within(1e-12));
        assertThat(byName.get("answer").relevance()).isCloseTo(-1.0, within(1e-12));
    }
}
