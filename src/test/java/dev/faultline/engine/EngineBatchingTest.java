package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Callers that wait for the engine together share one batched pass: eight cloze failures of TinyStories-260K
 * submitted while the engine is busy run as one pass, with the same results as one pass each; a bad request in a
 * batch fails alone; without batching every caller gets its own pass.
 */
class EngineBatchingTest {

    @Test
    void callersWaitingTogetherShareOnePass() throws Exception {
        List<AttributionRequest> rs = clozeFailures(8);
        try (LanguageModel m = ModelLoader.load(SharedFiles.require("models/tinystories-260k"), DType.FLOAT32, "cpu");
                AttributionEngine batched = new AttributionEngine(32);
                AttributionEngine single = new AttributionEngine(32)) {
            batched.batchUpTo(8);
            List<Attribution> expected = new ArrayList<>();
            for (AttributionRequest r : rs) {
                expected.add(single.attribute(m, r));
            }
            assertThat(single.passes()).isEqualTo(8);

            List<Attribution> got = runWhileBusy(batched, m, rs);
            assertThat(batched.passes())
                    .as("one pass for the eight waiting callers")
                    .isEqualTo(1);
            for (int i = 0; i < rs.size(); i++) {
                assertThat(got.get(i).logitDiff())
                        .isCloseTo(expected.get(i).logitDiff(), org.assertj.core.data.Offset.offset(1e-4));
                double scale =
                        Math.max(1, GoldenCasesTest.maxAbs(expected.get(i).inputRelevance()));
                for (int t = 0; t < expected.get(i).inputRelevance().length; t++) {
                    assertThat(got.get(i).inputRelevance()[t])
                            .isCloseTo(
                                    expected.get(i).inputRelevance()[t],
                                    org.assertj.core.data.Offset.offset(1e-4 * scale));
                }
                assertThat(got.get(i).faithfulness().topIndices())
                        .containsExactly(expected.get(i).faithfulness().topIndices());
            }
        }
    }

    @Test
    void aBadRequestInABatchFailsAlone() throws Exception {
        List<AttributionRequest> rs = new ArrayList<>(clozeFailures(3));
        AttributionRequest ok = rs.get(0);
        rs.set(
                1,
                new AttributionRequest(
                        ok.ids(),
                        ok.position(),
                        9999,
                        3,
                        Method.ATTNLRP,
                        SoftmaxRule.ATTNLRP,
                        0,
                        0L,
                        0.0,
                        5)); // wrong id outside the vocabulary of 512
        try (LanguageModel m = ModelLoader.load(SharedFiles.require("models/tinystories-260k"), DType.FLOAT32, "cpu");
                AttributionEngine batched = new AttributionEngine(32)) {
            batched.batchUpTo(8);
            ExecutorService pool = Executors.newFixedThreadPool(rs.size() + 1);
            try {
                List<Future<Attribution>> fs = submitWhileBusy(batched, m, rs, pool);
                assertThat(fs.get(0).get().inputRelevance()).hasSize(ok.ids().length);
                assertThat(fs.get(2).get().inputRelevance()).hasSize(rs.get(2).ids().length);
                assertThatThrownBy(() -> fs.get(1).get())
                        .hasCauseInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("wrong/correct ids");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Runs {@code rs} from as many threads while the engine's worker is held, then lets it go. */
    private static List<Attribution> runWhileBusy(
            AttributionEngine engine, LanguageModel m, List<AttributionRequest> rs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(rs.size() + 1);
        try {
            List<Attribution> out = new ArrayList<>();
            for (Future<Attribution> f : submitWhileBusy(engine, m, rs, pool)) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Holds the engine's worker with a task, submits every request from its own thread of {@code pool}, waits until
     * all of them are queued behind the held task, then lets the worker go: the callers wait together.
     */
    private static List<Future<Attribution>> submitWhileBusy(
            AttributionEngine engine, LanguageModel m, List<AttributionRequest> rs, ExecutorService pool)
            throws InterruptedException {
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        pool.submit(() -> engine.execute(() -> {
            running.countDown();
            hold.await();
            return null;
        }));
        running.await();
        List<Future<Attribution>> fs = new ArrayList<>();
        for (AttributionRequest r : rs) {
            fs.add(pool.submit(() -> engine.attribute(m, r)));
        }
        while (engine.queued() < rs.size()) { // every caller has queued its task behind the held one
            Thread.onSpinWait();
        }
        hold.countDown();
        return fs;
    }

    private static List<AttributionRequest> clozeFailures(int n) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<AttributionRequest> out = new ArrayList<>();
        for (String line : Files.readAllLines(SharedFiles.require("data/tinystories-cloze/expected.jsonl"))) {
            JsonNode o = line.isBlank() ? null : json.readTree(line).get("oracle");
            if (o == null || o.isNull()) {
                continue;
            }
            out.add(new AttributionRequest(
                    GoldenCasesTest.ints(o.get("ids")),
                    o.get("position").asInt(),
                    o.get("wrong").asInt(),
                    o.get("correct").asInt(),
                    Method.ATTNLRP,
                    SoftmaxRule.ATTNLRP,
                    5,
                    7L,
                    0.0,
                    5));
            if (out.size() == n) {
                break;
            }
        }
        return out;
    }
}
