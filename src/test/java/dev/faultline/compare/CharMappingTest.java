package dev.faultline.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.faultline.contract.AttributionResult;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SharedFiles;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.TokenizedText;
import dev.faultline.tracking.TrackedFailure;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two models with different tokenizers on one small prompt set: the demo model (one token per character) and
 * TinyStories-260K (SentencePiece pieces). A failure of the demo model is scored on both; each result's relevance
 * lands on the characters of the same text, so the two can be compared there although their tokens differ.
 */
class CharMappingTest {

    /** Addition problems as the demo writes them (digits least-significant first), with a wrong and a right digit. */
    static final List<String[]> PROMPTS = List.of(
            new String[] {"743+58=", "5", "4"}, new String[] {"300+341=", "5", "6"}, new String[] {"12+907=", "1", "3"
            });

    static AttributionEngine engine;
    static LanguageModel demo;
    static LanguageModel tiny;

    @BeforeAll
    static void load() throws Exception {
        Path tinyDir = SharedFiles.require("models/tinystories-260k");
        demo = ModelLoader.load(Path.of("models/faultline-demo"), DType.FLOAT32, "cpu");
        tiny = ModelLoader.load(tinyDir, DType.FLOAT32, "cpu");
        engine = new AttributionEngine(2);
    }

    @AfterAll
    static void close() throws Exception {
        engine.close();
        demo.close();
        tiny.close();
    }

    /** The demo model's failure on {@code prompt}: its tokens (one per character), wrong and contrast digits. */
    static TrackedFailure failure(String id, String prompt, String wrong, String contrast) {
        TokenizedText t = demo.tokenizer().encode(prompt, true);
        List<TrackedFailure.TokenSpan> spans = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            boolean special = t.special()[i];
            spans.add(new TrackedFailure.TokenSpan(
                    special ? t.tokens()[i] : demo.tokenizer().tokenText(t.ids()[i]),
                    t.starts()[i],
                    t.ends()[i],
                    special,
                    special ? null : "problem",
                    null));
        }
        return new TrackedFailure(
                id,
                "faultline-demo",
                "main",
                null,
                "shared-addition",
                id,
                t.ids(),
                t.size() - 1,
                demo.tokenizer().tokenId(wrong),
                wrong,
                demo.tokenizer().tokenId(contrast),
                contrast,
                1.0,
                spans,
                List.of("problem"));
    }

    @Test
    void relevanceOfTwoTokenizationsLandsOnTheSameCharacters() {
        for (String[] p : PROMPTS) {
            TrackedFailure f = failure("shared-addition/" + p[0], p[0], p[1], p[2]);
            AttributionResult onDemo = CrossScorer.score(
                    f, new ModelRev("faultline-demo", "main"), demo, engine, Method.ATTNLRP, SoftmaxRule.ATTNLRP);
            AttributionResult onTiny = CrossScorer.score(
                    f, new ModelRev("tinystories-260k", "main"), tiny, engine, Method.ATTNLRP, SoftmaxRule.ATTNLRP);
            List<AttributionResult.Token> a = onDemo.tokens();
            List<AttributionResult.Token> b = onTiny.tokens();
            // different tokenizations of the same text
            long demoText = a.stream().filter(t -> !t.special()).count();
            long tinyText = b.stream().filter(t -> !t.special()).count();
            assertThat(demoText).as(p[0]).isEqualTo(p[0].length());
            System.out.println(p[0] + " tinystories tokens: "
                    + b.stream()
                            .map(t -> t.text() + "[" + t.start() + "," + t.end() + ")" + (t.special() ? "*" : ""))
                            .toList());
            assertThat(spans(b)).as(p[0]).isNotEqualTo(spans(a));
            assertThat(onDemo.target().wrong().text()).isEqualTo(p[1]);
            assertThat(onTiny.target().wrong().text().strip()).isEqualTo(p[1]);
            assertThat(onTiny.target().contrast().text().strip()).isEqualTo(p[2]);
            // both cover the whole prompt, and agree on its characters
            int n = CharRelevance.shared(a, b);
            assertThat(n).as(p[0]).isEqualTo(p[0].length());
            assertThat(new String(CharRelevance.text(a), 0, n)).isEqualTo(p[0]);
            for (List<AttributionResult.Token> tokens : List.of(a, b)) {
                double[] chars = CharRelevance.perChar(tokens, n);
                // every token's relevance is the sum over its characters; none is lost or invented
                double tokenSum = 0;
                for (int i = 1; i < tokens.size(); i++) {
                    AttributionResult.Token t = tokens.get(i);
                    if (t.special()) {
                        continue;
                    }
                    tokenSum += t.relevance();
                }
                int[][] spans = CharRelevance.charSpans(tokens);
                double[] expected = new double[n];
                for (int i = 1; i < tokens.size(); i++) {
                    if (!tokens.get(i).special()) {
                        // one character per text token here (the blank shares its digit's)
                        assertThat(spans[i][1] - spans[i][0])
                                .as(p[0] + " token " + i)
                                .isEqualTo(1);
                        expected[spans[i][0]] += tokens.get(i).relevance();
                    }
                }
                for (int c = 0; c < n; c++) {
                    assertThat(chars[c]).as(p[0] + " char " + c).isCloseTo(expected[c], within(1e-12));
                }
                double charSum = 0;
                for (double v : chars) {
                    charSum += v;
                }
                assertThat(charSum).as(p[0]).isCloseTo(tokenSum, within(1e-9));
            }
            // after the offset repair the tiny model's digits sit on the demo's digits: the same character spans
            int[][] tinySpans = CharRelevance.charSpans(b);
            List<String> repaired = new ArrayList<>();
            for (int i = 0; i < b.size(); i++) {
                if (!b.get(i).special() && !b.get(i).text().isBlank()) {
                    repaired.add(b.get(i).text().strip() + "@" + tinySpans[i][0]);
                }
            }
            List<String> demoSpans = new ArrayList<>();
            for (int i = 1; i < a.size(); i++) {
                demoSpans.add(a.get(i).text() + "@" + a.get(i).start());
            }
            assertThat(repaired).as(p[0]).isEqualTo(demoSpans);
            Double sim = CharRelevance.similarity(a, b);
            assertThat(sim).as(p[0]).isNotNull().isBetween(-1.0, 1.0);
            Double self = CharRelevance.similarity(a, a);
            assertThat(self).isCloseTo(1.0, within(1e-12));
            // the demo scoring its own failure gives the engine's Δℓ for those ids
            var direct = engine.attribute(
                    demo,
                    new dev.faultline.engine.AttributionRequest(
                            f.inputIds(),
                            -1,
                            f.wrong(),
                            f.contrast(),
                            Method.ATTNLRP,
                            SoftmaxRule.ATTNLRP,
                            0,
                            0L,
                            0.0,
                            1));
            assertThat(onDemo.target().logitDiff()).isCloseTo(direct.logitDiff(), within(1e-9));
            System.out.printf(
                    "%s: demo %d tokens, tinystories %d tokens, %d shared chars, cosine %.3f%n",
                    p[0], demoText, tinyText, n, sim);
        }
    }

    static List<String> spans(List<AttributionResult.Token> tokens) {
        return tokens.stream()
                .filter(t -> !t.special())
                .map(t -> t.start() + "-" + t.end())
                .toList();
    }

    @Test
    void concentrationIsTheTopFivePercentShare() {
        List<AttributionResult.Token> tokens = new ArrayList<>();
        tokens.add(new AttributionResult.Token("<s>", 1, 0, 0, 100.0, true, null));
        for (int i = 0; i < 40; i++) {
            tokens.add(new AttributionResult.Token("x", 5, i, i + 1, i == 3 ? -6.0 : i == 7 ? 4.0 : 0.25, false, "s"));
        }
        // 40 tokens: the top 2 (5 %) hold 10 of 10 + 38 * 0.25 = 19.5
        assertThat(CharRelevance.concentration(tokens)).isCloseTo(10 / 19.5, within(1e-12));
    }
}
