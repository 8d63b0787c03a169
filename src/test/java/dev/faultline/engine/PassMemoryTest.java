package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.engine.model.HfConfig;
import dev.faultline.engine.model.HfLanguageModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One attribution pass's memory: the estimate from the model's shape bounds what a pass really takes (the peak of
 * the native memory malloc holds, sampled during the pass, over what it held before), and an input whose estimate exceeds the engine's budget is refused
 * with the estimate instead of running out of memory. The model is small but wide in the vocabulary (32,000) and
 * long in the input (1,024 tokens), so keeping the logits of every position (131 MB) or every layer's intermediates
 * until the pass ends (DJL's default) would pass the bound several times over.
 */
class PassMemoryTest {

    @TempDir
    Path tmp;

    @Test
    void onePassStaysWithinTheEstimateFromTheShape() throws Exception {
        Path dir = RandomCheckpoint.llamaLike("llama", 4, 64, 4, 2, 128, 32000, 2048)
                .write(tmp.resolve("m"));
        int t = 1024;
        int[] ids = new int[t];
        for (int i = 0; i < t; i++) {
            ids[i] = (i * 7919) % 32000;
        }
        try (LanguageModel model = ModelLoader.load(dir, DType.FLOAT32, "cpu");
                AttributionEngine engine = new AttributionEngine(1)) {
            HfLanguageModel m = HfLanguageModel.of(model);
            long bound = PassMemory.attributionBytes(
                    m.hfConfig(), t, 4, m.transformer().scoreChunkBytes());
            AttributionRequest request =
                    new AttributionRequest(ids, t - 1, 11, 13, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0L, 0.0, 5);
            engine.attribute(model, request); // warm-up: libtorch's own buffers, JIT-compiled code
            NativeMemory.Sampler sampler = new NativeMemory.Sampler(); // the pass's peak, sampled every 200 µs
            sampler.start();
            try {
                sampler.phase("pass");
                engine.attribute(model, request);
                sampler.phase("done");
            } finally {
                sampler.stop();
            }
            NativeMemory.Span pass = sampler.spans().get(0);
            long before = pass.start;
            long peak = pass.peak - before;
            System.out.printf(
                    "one pass of %d tokens: native peak %.1f MB over the %.1f MB in use before; estimate "
                            + "%.1f MB%n",
                    t, peak / 1e6, before / 1e6, bound / 1e6);
            assertThat(peak).as("peak bytes of one pass over what was resident").isLessThan(bound);
        }
    }

    @Test
    void aPassOverTheBudgetIsRefusedWithTheEstimate() {
        Path dir = RandomCheckpoint.llamaLike("llama", 2).write(tmp.resolve("small"));
        try (LanguageModel model = ModelLoader.load(dir, DType.FLOAT32, "cpu")) {
            HfConfig c = HfLanguageModel.of(model).hfConfig();
            long at40 = PassMemory.attributionBytes(c, 40, 4, 16L << 20);
            assertThat(PassMemory.attributionBytes(c, 20, 4, 16L << 20)).isLessThan(at40);
            try (AttributionEngine engine = new AttributionEngine(1, at40 - 1)) {
                int[] ids = new int[40];
                java.util.Arrays.fill(ids, 3);
                assertThatThrownBy(() -> engine.attribute(model, AttributionRequest.contrastive(ids, 4, 5)))
                        .isInstanceOf(InputTooLongException.class)
                        .hasMessageContaining("40 tokens")
                        .hasMessageContaining("faultline.attribution.max-pass-bytes")
                        .hasMessageContaining("tokens fit");
                int[] shorter = java.util.Arrays.copyOf(ids, 20);
                assertThat(engine.attribute(model, AttributionRequest.contrastive(shorter, 4, 5))
                                .inputRelevance())
                        .hasSize(20);
            }
        }
    }
}
