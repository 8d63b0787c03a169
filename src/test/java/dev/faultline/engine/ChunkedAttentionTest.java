package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention runs a chunk of query rows at a time once a score array passes 16 MiB (8 heads × 800² float64 = 39 MiB
 * here: three chunks). The same checkpoint loaded with chunking off ({@link EngineOptions#scoreChunkBytes} at its
 * maximum: one block per layer) is the reference: logits, and every relevance the attribution reports (per token,
 * per layer, bias- and softmax-absorbed), under both softmax rules and gradient×input; with GQA, sliding windows
 * shorter and longer than a chunk, and per-head q/k norms.
 */
class ChunkedAttentionTest {

    private static final int T = 800;

    @TempDir
    Path dir;

    private static LanguageModel load(Path model, boolean chunked) {
        EngineOptions options = chunked ? EngineOptions.DEFAULTS : new EngineOptions(Long.MAX_VALUE);
        return ModelLoader.load(model, DType.FLOAT64, Device.CPU, Long.MAX_VALUE, options);
    }

    @ParameterizedTest(name = "{0}, window {1}")
    @CsvSource({"llama, 0", "mistral, 50", "mistral, 500", "qwen3, 0"})
    void chunkedAttentionEqualsTheOneBlockPass(String type, int window) {
        RandomCheckpoint c = RandomCheckpoint.llamaLike(type, 2, 32, 8, 4, 48, 50, 1024);
        if (window > 0) {
            c.set("sliding_window", window);
        }
        Path model = c.write(dir.resolve(type + window));
        Random r = new Random(11);
        int[] ids = new int[T];
        for (int i = 0; i < T; i++) {
            ids[i] = r.nextInt(50);
        }
        try (LanguageModel chunked = load(model, true);
                LanguageModel block = load(model, false);
                AttributionEngine engine = new AttributionEngine(2)) {
            for (int pos : new int[] {T - 1, 123}) {
                double[] a = engine.logitsAt(chunked, ids, pos);
                double[] b = engine.logitsAt(block, ids, pos);
                close(a, b, 1e-10, 0, type + " logits at " + pos);
            }
            for (String[] rule :
                    new String[][] {{"ATTNLRP", "ATTNLRP"}, {"ATTNLRP", "DETACH"}, {"GRADXINPUT", "ATTNLRP"}}) {
                AttributionRequest q = new AttributionRequest(
                        ids, -1, 7, 9, Method.valueOf(rule[0]), SoftmaxRule.valueOf(rule[1]), 0, 0L, 0.0, 3);
                Attribution a = engine.attribute(chunked, q);
                Attribution b = engine.attribute(block, q);
                String what = type + " " + rule[0] + "/" + rule[1];
                assertThat(a.logitDiff()).as(what).isCloseTo(b.logitDiff(), offset(1e-10 * Math.abs(b.logitDiff())));
                double dl = Math.abs(b.logitDiff()); // relevances are parts of Δℓ: compared at its scale
                close(a.inputRelevance(), b.inputRelevance(), 1e-9, dl, what + " input relevance");
                for (int l = 0; l < a.layerInputRelevance().length; l++) {
                    close(a.layerInputRelevance()[l], b.layerInputRelevance()[l], 1e-9, dl, what + " layer " + l);
                }
                for (int l = 0; l < a.postAttentionRelevance().length; l++) {
                    close(
                            a.postAttentionRelevance()[l],
                            b.postAttentionRelevance()[l],
                            1e-9,
                            dl,
                            what + " after attention " + l);
                }
                double scale = Math.abs(b.logitDiff());
                assertThat(a.biasTotal()).as(what).isCloseTo(b.biasTotal(), offset(1e-9 * scale));
                assertThat(a.softmaxAbsorbedTotal()).as(what).isCloseTo(b.softmaxAbsorbedTotal(), offset(1e-9 * scale));
            }
        }
    }

    /** a equals b to rel × max(floor, max |b|). */
    private static void close(double[] a, double[] b, double rel, double floor, String what) {
        assertThat(a).as(what).hasSameSizeAs(b);
        double scale = floor;
        for (double v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertThat(scale).as(what).isPositive();
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("%s [%d]", what, i).isCloseTo(b[i], offset(rel * scale));
        }
    }
}
