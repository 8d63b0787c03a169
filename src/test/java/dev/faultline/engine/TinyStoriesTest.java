package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TinyStories-260K (a real trained Llama with GQA and tied embeddings): the reference logits and greedy continuation
 * of its {@code verification.json}, and the tokenizer (ids, decode round trip, character spans).
 */
class TinyStoriesTest {

    private static Path dir;
    private static JsonNode verification;
    private static LanguageModel f64;
    private static LanguageModel f32;
    private static AttributionEngine engine;

    @BeforeAll
    static void load() throws IOException {
        dir = SharedFiles.require("models/tinystories-260k");
        verification =
                new ObjectMapper().readTree(dir.resolve("verification.json").toFile());
        String device = System.getProperty("engine.test.device", "cpu");
        f64 = ModelLoader.load(dir, DType.FLOAT64, device);
        f32 = ModelLoader.load(dir, DType.FLOAT32, device);
        engine = new AttributionEngine(2);
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
            f64.close();
            f32.close();
        }
    }

    @Test
    void configIsReadWithTiedHead() {
        ModelConfig c = f64.config();
        assertThat(c.modelType()).isEqualTo("llama");
        assertThat(c.numLayers()).isEqualTo(5);
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.tiedEmbeddings()).isTrue();
        assertThat(c.bosId()).isEqualTo(1);
        assertThat(c.maxPositions()).isEqualTo(512);
        assertThat(f64.weightBytes()).isEqualTo(260_032L * 8);
    }

    @Test
    void lastPositionLogitsMatchTheReference() {
        for (JsonNode prompt : verification.get("prompts")) {
            int[] ids = GoldenCasesTest.ints(prompt.get("ids"));
            double[] ref = GoldenCasesTest.doubles(prompt.get("last_logits_ref_f64"));
            double[] got64 = engine.logitsAt(f64, ids, -1);
            float[][] got32 = engine.logits(f32, ids);
            assertThat(got64).hasSize(512);
            for (int v = 0; v < ref.length; v++) {
                // the reference is rounded to 6 decimals
                assertThat(got64[v])
                        .as("f64 logit %d of '%s'", v, prompt.get("text").asText())
                        .isCloseTo(ref[v], within(1e-6));
                assertThat((double) got32[ids.length - 1][v])
                        .as("f32 logit %d", v)
                        .isCloseTo(ref[v], within(1e-4));
            }
            int[] top5 = GoldenCasesTest.ints(prompt.get("top5_last"));
            assertThat(argmax(got64)).isEqualTo(top5[0]);
        }
    }

    @Test
    void greedyContinuationFromBosIsReproduced() {
        int[] expected =
                GoldenCasesTest.ints(verification.get("greedy_from_bos").get("ids"));
        int[] seq = new int[expected.length + 1];
        seq[0] = 1;
        for (int i = 0; i < expected.length; i++) {
            double[] logits = engine.logitsAt(f32, java.util.Arrays.copyOf(seq, i + 1), -1);
            seq[i + 1] = argmax(logits);
        }
        assertThat(java.util.Arrays.copyOfRange(seq, 1, seq.length)).containsExactly(expected);
        assertThat(f32.tokenizer().decode(seq, true))
                .isEqualTo(verification.get("greedy_from_bos").get("text").asText());
    }

    @Test
    void tokenizerMatchesReferenceIdsAndRoundTrips() {
        TextTokenizer tok = f64.tokenizer();
        int n = 0;
        for (JsonNode c : verification.get("tokenizer_cases")) {
            String text = c.get("text").asText();
            TokenizedText t = tok.encode(text, true);
            assertThat(t.ids()).as(text).containsExactly(GoldenCasesTest.ints(c.get("ids")));
            assertThat(tok.decode(t.ids(), true)).as("round trip").isEqualTo(text);
            n++;
        }
        assertThat(n).isEqualTo(200);
    }

    @Test
    void tokenizerGivesJavaCharacterSpansAndSpecialFlags() {
        TextTokenizer tok = f64.tokenizer();
        String text = "Tom saw a café 😀 and Sue.";
        TokenizedText t = tok.encode(text, true);
        assertThat(t.ids()[0]).isEqualTo(1);
        assertThat(t.special()[0]).isTrue();
        assertThat(t.starts()[0]).isEqualTo(t.ends()[0]);
        for (int i = 1; i < t.size(); i++) {
            assertThat(t.special()[i]).isFalse();
            assertThat(t.starts()[i]).isBetween(0, text.length());
            assertThat(t.ends()[i]).isBetween(t.starts()[i], text.length());
        }
        // spans index the Java string and tile it: the emoji (2 UTF-16 chars) goes to the first of its 4
        // byte-fallback pieces, the other 3 get empty spans after it
        StringBuilder pieces = new StringBuilder();
        for (int i = 1; i < t.size(); i++) {
            pieces.append(text, t.starts()[i], t.ends()[i]).append('|');
        }
        assertThat(pieces.toString()).contains("|é|", "|😀||||", "| and|", "|.|");
        assertThat(pieces.toString().replace("|", "")).isEqualTo(text);
        assertThat(t.ends()[t.size() - 1]).isEqualTo(text.length());
        assertThat(tok.isSpecial(1)).isTrue();
        assertThat(tok.isSpecial(2)).isTrue();
        assertThat(tok.isSpecial(403)).isFalse();
        assertThat(tok.tokenId("<s>")).isEqualTo(1);
        assertThat(tok.tokenId("no-such-piece")).isEqualTo(-1);
        assertThat(tok.tokenText(403)).isEqualTo(" Once");
    }

    @Test
    void longTextIsNotTruncatedButTooLongForTheModel() {
        String story = verification.get("greedy_from_bos").get("text").asText();
        String text = (story + " ").repeat(20);
        TokenizedText t = f64.tokenizer().encode(text, true);
        assertThat(t.size()).isGreaterThan(512);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> engine.attribute(f64, AttributionRequest.contrastive(t.ids(), 403, 407)))
                .isInstanceOf(InputTooLongException.class)
                .hasMessageContaining("limit is 512");
    }

    @Test
    void attributionOnTheRealModelConserves() {
        int[] ids = GoldenCasesTest.ints(verification.get("prompts").get(1).get("ids"));
        Attribution a = engine.attribute(f64, AttributionRequest.contrastive(ids, 261, 267));
        double sum = 0;
        for (double v : a.inputRelevance()) {
            sum += v;
        }
        assertThat(a.identityResidual()).isCloseTo(0.0, within(1e-9 * Math.max(1, Math.abs(a.logitDiff()))));
        assertThat(sum + a.biasTotal() + a.softmaxAbsorbedTotal()).isCloseTo(a.logitDiff(), within(1e-9));
        assertThat(a.topTokens()).hasSize(10);
        assertThat(a.topTokens().get(0).text()).isNotNull();
        assertThat(a.contrastRank()).isPositive();
        assertThat(a.faithfulness()).isNotNull();
        assertThat(a.faithfulness().k()).isEqualTo(5);
        assertThat(a.timingsMs()).containsKeys("forward", "backward", "faithfulness");
    }

    static int argmax(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
