package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A forward without relevance runs attention a chunk of query rows at a time once a score array passes 16 MiB
 * (8 heads × 800² float64 = 39 MiB here: three chunks); its logits equal those of the attribution pass, which keeps
 * the whole block: with GQA, with a sliding window shorter and longer than a chunk, with per-head q/k norms.
 */
class ChunkedForwardTest {

    private static final int T = 800;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, window {1}")
    @CsvSource({"llama, 0", "mistral, 50", "mistral, 500", "qwen3, 0"})
    void logitsOfTheChunkedForwardEqualTheOneBlockPass(String type, int window) {
        RandomCheckpoint c = RandomCheckpoint.llamaLike(type, 2, 32, 8, 4, 48, 50, 1024);
        if (window > 0) {
            c.set("sliding_window", window);
        }
        Random r = new Random(11);
        int[] ids = new int[T];
        for (int i = 0; i < T; i++) {
            ids[i] = r.nextInt(50);
        }
        try (LanguageModel m = ModelLoader.load(c.write(dir.resolve(type + window)), DType.FLOAT64, "cpu");
                AttributionEngine engine = new AttributionEngine(2)) {
            for (int pos : new int[] {T - 1, 123}) {
                double[] chunked = engine.logitsAt(m, ids, pos);
                Attribution a = engine.attribute(m, new AttributionRequest(ids, pos, 7, 9, Method.ATTNLRP,
                        SoftmaxRule.ATTNLRP, 0, 0L, 0.0, 3));
                double scale = Math.max(Math.abs(a.logitWrong()), Math.abs(a.logitCorrect()));
                assertThat(chunked[7]).as("%s logit 7 at %d", type, pos).isCloseTo(a.logitWrong(),
                        offset(1e-10 * scale));
                assertThat(chunked[9]).as("%s logit 9 at %d", type, pos).isCloseTo(a.logitCorrect(),
                        offset(1e-10 * scale));
            }
        }
    }
}
