package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.faultline.engine.model.HfLanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's worker: serialised passes, a bounded queue, no gradient carry-over, no native leaks, bad input, a
 * phase listener heard by its own pass alone.
 */
class AttributionEngineTest {

    @TempDir
    static Path tmp;

    private static LanguageModel model;
    private static final int[] IDS = {3, 17, 8, 41, 22, 5, 30, 12, 9, 44, 1, 27};

    @BeforeAll
    static void load() {
        model = ModelLoader.load(RandomCheckpoint.llamaLike("llama", 2).write(tmp.resolve("m")), DType.FLOAT64, "cpu");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void repeatedAttributionsAreIdentical() {
        try (AttributionEngine e = new AttributionEngine(2)) {
            Attribution a = e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7));
            Attribution b = e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7));
            // gradients would double if they accumulated across passes
            assertThat(b.inputRelevance()).containsExactly(a.inputRelevance());
            assertThat(b.softmaxAbsorbedPerLayer()).containsExactly(a.softmaxAbsorbedPerLayer());
        }
    }

    @Test
    void concurrentCallersQueueAndGetTheSerialResult() throws Exception {
        try (AttributionEngine e = new AttributionEngine(16)) {
            Attribution serial = e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7));
            List<CompletableFuture<Attribution>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                futures.add(CompletableFuture.supplyAsync(
                        () -> e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7))));
            }
            for (CompletableFuture<Attribution> f : futures) {
                assertThat(f.get(60, TimeUnit.SECONDS).inputRelevance()).containsExactly(serial.inputRelevance());
            }
        }
    }

    @Test
    void fullQueueRejects() throws Exception {
        try (AttributionEngine e = new AttributionEngine(1)) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Object> busy = CompletableFuture.supplyAsync(() -> e.call(() -> {
                running.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }));
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Attribution> queued =
                    CompletableFuture.supplyAsync(() -> e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7)));
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(30))
                    .pollInterval(java.time.Duration.ofMillis(5))
                    .until(() -> e.queued() >= 1);
            assertThat(e.queued()).isEqualTo(1);
            assertThatThrownBy(() -> e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7)))
                    .isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("queue is full");
            release.countDown();
            assertThat(busy.get(30, TimeUnit.SECONDS)).isEqualTo(true);
            assertThat(queued.get(30, TimeUnit.SECONDS).logitDiff()).isFinite();
        }
    }

    @Test
    void nativeArraysDoNotAccumulateOverManyPasses() {
        HfLanguageModel m = (HfLanguageModel) model;
        try (AttributionEngine e = new AttributionEngine(2)) {
            e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7));
            int before = m.manager().getManagedArrays().size();
            for (int i = 0; i < 200; i++) {
                e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7));
                e.logits(model, IDS);
            }
            assertThat(m.manager().getManagedArrays().size()).isEqualTo(before);
        }
    }

    @Test
    void badRequestsGetClearErrors() {
        try (AttributionEngine e = new AttributionEngine(2)) {
            assertThatThrownBy(() -> e.attribute(
                            model,
                            new AttributionRequest(IDS, 12, 4, 7, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0, 0, 5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("position 12");
            assertThatThrownBy(() -> e.attribute(model, AttributionRequest.contrastive(IDS, 50, 7)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0, 50)");
            assertThatThrownBy(() -> e.attribute(model, AttributionRequest.contrastive(new int[] {1, 99}, 4, 7)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token id 99");
            assertThatThrownBy(() -> e.logits(model, new int[0])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> e.attribute(model, AttributionRequest.contrastive(new int[65], 4, 7)))
                    .isInstanceOf(InputTooLongException.class);
        }
    }

    @Test
    void closedEngineAndModelAreRefused() {
        AttributionEngine e = new AttributionEngine(2);
        e.close();
        assertThatThrownBy(() -> e.logits(model, IDS))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("closed");
        LanguageModel other =
                ModelLoader.load(RandomCheckpoint.llamaLike("llama", 1).write(tmp.resolve("c")), DType.FLOAT32, "cpu");
        other.close();
        try (AttributionEngine e2 = new AttributionEngine(2)) {
            assertThatThrownBy(() -> e2.logits(other, IDS))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Test
    void releaseClosesTheModelAfterQueuedPasses() throws Exception {
        LanguageModel m =
                ModelLoader.load(RandomCheckpoint.llamaLike("llama", 1).write(tmp.resolve("r")), DType.FLOAT32, "cpu");
        try (AttributionEngine e = new AttributionEngine(8)) {
            CompletableFuture<Attribution> before =
                    CompletableFuture.supplyAsync(() -> e.attribute(m, AttributionRequest.contrastive(IDS, 4, 7)));
            before.get(30, TimeUnit.SECONDS);
            e.release(m);
            assertThat(((HfLanguageModel) m).isClosed()).isTrue();
            assertThatThrownBy(() -> e.logits(m, IDS)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void singleLogitTargetHasNoContrast() {
        try (AttributionEngine e = new AttributionEngine(2)) {
            Attribution a = e.attribute(
                    model, new AttributionRequest(IDS, -1, 4, null, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0, 0, 3));
            assertThat(a.logitCorrect()).isNull();
            assertThat(a.logitDiff()).isEqualTo(a.logitWrong());
            assertThat(a.contrastRank()).isEqualTo(-1);
            assertThat(a.identityResidual()).isCloseTo(0.0, within(1e-9 * Math.max(1, Math.abs(a.logitDiff()))));
            assertThat(a.topTokens()).hasSize(3);
            assertThat(a.topTokens().get(0).logit())
                    .isGreaterThanOrEqualTo(a.topTokens().get(1).logit());
            assertThat(a.faithfulness()).isNull();
        }
    }

    @Test
    void contrastRankCountsHigherLogits() {
        try (AttributionEngine e = new AttributionEngine(2)) {
            double[] logits = e.logitsAt(model, IDS, -1);
            Attribution a = e.attribute(model, AttributionRequest.contrastive(IDS, 4, 7));
            int rank = 1;
            for (double l : logits) {
                if (l > logits[7]) {
                    rank++;
                }
            }
            assertThat(a.contrastRank()).isEqualTo(rank);
            assertThat(a.logitCorrect()).isEqualTo(logits[7], within(1e-12));
        }
    }

    @Test
    void listenerHearsThePhasesOfItsOwnPassOnly() {
        HfLanguageModel m = HfLanguageModel.of(model);
        AttributionRequest r = AttributionRequest.contrastive(IDS, 4, 7);
        List<String> heard = new ArrayList<>();
        List<Integer> probesAtBackward = new ArrayList<>();
        try (AttributionEngine e = new AttributionEngine(2)) {
            Attribution listened = e.call(() -> Attributor.attribute(m, r, (name, pm, p) -> {
                heard.add(name);
                if (name.equals("backward")) {
                    probesAtBackward.add(p.layerInputs.size());
                }
            }));
            Attribution plain = e.attribute(model, r);

            assertThat(heard).containsExactly("forward", "backward", "read-out", "faithfulness", "end");
            assertThat(probesAtBackward).containsExactly(m.config().numLayers() + 1);
            assertThat(listened.inputRelevance()).containsExactly(plain.inputRelevance());
            assertThat(listened.faithfulness()).isNotNull();
            assertThat(listened.faithfulness()).usingRecursiveComparison().isEqualTo(plain.faithfulness());
        }
    }

    @Test
    void passWithoutFaithfulnessHasNoFaithfulnessPhase() {
        HfLanguageModel m = HfLanguageModel.of(model);
        AttributionRequest r =
                new AttributionRequest(IDS, -1, 4, 7, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0L, 0.0, 0);
        List<String> heard = new ArrayList<>();
        try (AttributionEngine e = new AttributionEngine(2)) {
            e.call(() -> Attributor.attribute(m, r, (name, pm, p) -> heard.add(name)));
        }
        assertThat(heard).containsExactly("forward", "backward", "read-out", "end");
    }
}
