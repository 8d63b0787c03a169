package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.faultline.engine.model.HfLanguageModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The perturbation check: which tokens are zeroed, the drops, and the informative flag. */
class FaithfulnessTest {

    @TempDir
    static Path tmp;

    private static HfLanguageModel model;
    private static AttributionEngine engine;
    private static final int[] IDS = {3, 17, 8, 41, 22, 5, 30, 12, 9, 44, 1, 27, 33, 2};

    @BeforeAll
    static void load() {
        model = (HfLanguageModel)
                ModelLoader.load(RandomCheckpoint.llamaLike("qwen3", 2).write(tmp.resolve("m")), DType.FLOAT64, "cpu");
        engine = new AttributionEngine(2);
    }

    @AfterAll
    static void close() {
        engine.close();
        model.close();
    }

    private static Attribution run(int k, long seed, double margin, int position) {
        return engine.attribute(
                model,
                new AttributionRequest(IDS, position, 4, 7, Method.ATTNLRP, SoftmaxRule.ATTNLRP, k, seed, margin, 5));
    }

    @Test
    void topIndicesAreTheMostRelevantAfterTheFirstToken() {
        Attribution a = run(3, 1L, 0.0, -1);
        Faithfulness f = a.faithfulness();
        int[] expected = IntStream.range(1, IDS.length)
                .boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> a.inputRelevance()[i])
                        .reversed())
                .limit(3)
                .mapToInt(Integer::intValue)
                .sorted()
                .toArray();
        assertThat(f.k()).isEqualTo(3);
        assertThat(f.topIndices()).containsExactly(expected);
        assertThat(f.topIndices()).doesNotContain(0);
        assertThat(f.randomIndices()).hasSize(3).doesNotContain(0);
    }

    @Test
    void batchedDropsEqualSeparateForwards() {
        Attribution a = run(4, 9L, 0.0, -1);
        Faithfulness f = a.faithfulness();
        int pos = IDS.length - 1;
        double top = Attributor.targetWithZeroed(model, IDS, pos, 4, 7, f.topIndices());
        double random = Attributor.targetWithZeroed(model, IDS, pos, 4, 7, f.randomIndices());
        assertThat(f.dropTop()).isCloseTo(a.logitDiff() - top, within(1e-9));
        assertThat(f.dropRandom()).isCloseTo(a.logitDiff() - random, within(1e-9));
        assertThat(f.informative()).isEqualTo(f.dropTop() - f.dropRandom() > 0.0);

        // a target inside the input: the copies stop at it, and the drops still equal whole-input forwards
        Attribution inner = run(2, 9L, 0.0, 5);
        Faithfulness g = inner.faithfulness();
        assertThat(g.dropTop())
                .isCloseTo(
                        inner.logitDiff() - Attributor.targetWithZeroed(model, IDS, 5, 4, 7, g.topIndices()),
                        within(1e-9));
        assertThat(g.dropRandom())
                .isCloseTo(
                        inner.logitDiff() - Attributor.targetWithZeroed(model, IDS, 5, 4, 7, g.randomIndices()),
                        within(1e-9));
    }

    @Test
    void sameSeedSameRandomTokens() {
        assertThat(run(3, 42L, 0.0, -1).faithfulness().randomIndices())
                .containsExactly(run(3, 42L, 0.0, -1).faithfulness().randomIndices());
        boolean anyDiffers = false;
        int[] base = run(3, 42L, 0.0, -1).faithfulness().randomIndices();
        for (long s = 0; s < 10 && !anyDiffers; s++) {
            anyDiffers = !Arrays.equals(base, run(3, s, 0.0, -1).faithfulness().randomIndices());
        }
        assertThat(anyDiffers).isTrue();
    }

    @Test
    void zeroingEveryTokenIsNotInformative() {
        Attribution a = run(100, 3L, 0.0, -1);
        Faithfulness f = a.faithfulness();
        assertThat(f.k()).isEqualTo(IDS.length - 1);
        assertThat(f.dropTop()).isEqualTo(f.dropRandom());
        assertThat(f.informative()).isFalse();
    }

    @Test
    void marginDecidesInformative() {
        Faithfulness f = run(3, 1L, 0.0, -1).faithfulness();
        double gap = f.dropTop() - f.dropRandom();
        assertThat(run(3, 1L, gap - 1e-6, -1).faithfulness().informative()).isTrue();
        assertThat(run(3, 1L, gap + 1e-6, -1).faithfulness().informative()).isFalse();
    }

    @Test
    void onlyTokensUpToThePositionAreCandidates() {
        Faithfulness f = run(20, 1L, 0.0, 5).faithfulness();
        assertThat(f.k()).isEqualTo(5);
        assertThat(f.topIndices()).containsExactly(1, 2, 3, 4, 5);
        assertThat(run(2, 1L, 0.0, 0).faithfulness()).isNull();
    }

    @Test
    void specialTokensAreNotCandidates() {
        Path dir = SharedFiles.require("models/tinystories-260k");
        try (LanguageModel m = ModelLoader.load(dir, DType.FLOAT32, "cpu")) {
            TokenizedText t = m.tokenizer().encode("Tom and Sue went to the park. <s> They saw a big", true);
            int special = -1;
            for (int i = 1; i < t.size(); i++) {
                if (t.special()[i]) {
                    special = i;
                }
            }
            assertThat(special).isPositive();
            Attribution a = engine.attribute(
                    m,
                    new AttributionRequest(
                            t.ids(), -1, 432, 267, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 100, 1L, 0.0, 5));
            assertThat(a.faithfulness().topIndices()).doesNotContain(0, special);
            assertThat(a.faithfulness().k()).isEqualTo(t.size() - 2);
        }
    }
}
