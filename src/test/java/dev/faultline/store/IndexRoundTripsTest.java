package dev.faultline.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.api.ui.UiResults;
import dev.faultline.contract.AttributionResult;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet index writer's network round trips to a real Redis (counted by {@link IndexWriter.Proxy}) and what it
 * leaves there: {@link RunIndex#add} reads in one pipelined round trip and writes in one, {@link CheckpointIndex} takes
 * two, the compare read model one (a Lua script), every key with its TTL.
 */
class IndexRoundTripsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static IndexWriter w;

    @BeforeAll
    static void start() {
        w = new IndexWriter(0, 2);
    }

    @AfterAll
    static void stop() {
        w.close();
    }

    static AttributionResult result(String event, String revision) {
        return UiResults.attributed(event, "rt-run", "rt-model", revision, 7L);
    }

    @Test
    void compareIndexMakesOneRoundTripPerResult() {
        AttributionResult r = result("rt/compare", "main");
        assertThat(w.roundTrips(() -> w.compare.indexed(r))).isEqualTo(1);
        String hash = "faultline:cmp:ex:rt-model@main/webview-bench";
        assertThat(IndexWriter.hash(w.redis, hash)).containsOnlyKeys(r.exampleId());
        assertThat(w.redis.set(String.class).smembers("faultline:cmp:benchmarks:rt-model@main"))
                .containsExactly("webview-bench");
        assertThat(w.redis.set(String.class).smembers("faultline:cmp:models:webview-bench"))
                .contains("rt-model@main");
        assertThat(w.redis.set(String.class).smembers("faultline:cmp:all-benchmarks"))
                .contains("webview-bench");
        for (String key : new String[] {
            hash,
            "faultline:cmp:benchmarks:rt-model@main",
            "faultline:cmp:models:webview-bench",
            "faultline:cmp:all-benchmarks"
        }) {
            assertThat(w.redis.key(String.class).ttl(key)).as(key).isBetween(30L * 86400 - 60, 30L * 86400);
        }
    }

    @Test
    void compareBoundKeepsNewExamplesOutAndReplacesKnownOnes() throws Exception {
        String hash = "faultline:cmp:ex:rt-model@bound/webview-bench";
        w.compare.indexed(result("rt/b1", "bound"));
        w.compare.indexed(result("rt/b2", "bound"));
        w.compare.indexed(result("rt/b3", "bound")); // a third example: the bound (2) keeps it out
        Map<String, String> entries = IndexWriter.hash(w.redis, hash);
        assertThat(entries).hasSize(2).noneSatisfy((k, v) -> assertThat(k).endsWith("rt/b3"));
        AttributionResult again = result("rt/b1", "bound");
        String example = again.exampleId();
        AttributionResult.Builder b = again.toBuilder();
        b.eventId = "rt/b1-again";
        AttributionResult other = b.build();
        w.compare.indexed(other); // a known example at the bound: replaced
        JsonNode stored = JSON.readTree(IndexWriter.hash(w.redis, hash).get(example));
        assertThat(stored.path("event_id").asText()).isEqualTo("rt/b1-again");
    }

    @Test
    void runIndexAddReadsOnceWritesOnceThenTheReadModels() throws Exception {
        AttributionResult r = result("rt/run", "step1");
        // run index 2, checkpoint index 2, compare 1
        assertThat(w.roundTrips(() -> w.runs.add(r, 3, 42))).isEqualTo(5);
        RunIndex.EventSummary s = w.runs.event("rt/run").orElseThrow();
        assertThat(s.partition()).isEqualTo(3);
        assertThat(s.offset()).isEqualTo(42);
        assertThat(IndexWriter.hash(w.redis, "faultline:runs:counts:rt-run"))
                .containsEntry("events", "1")
                .containsEntry("verdict:INCORRECT", "1")
                .containsEntry("status:ATTRIBUTED", "1");
        assertThat(IndexWriter.hash(w.redis, "faultline:runs:run:rt-run")).containsOnlyKeys("rt/run");
        JsonNode meta =
                JSON.readTree(IndexWriter.hash(w.redis, "faultline:runs:meta").get("rt-run"));
        assertThat(meta.path("last_result_at").asText()).isEqualTo(r.attributedAt());
        Map<String, String> points = IndexWriter.hash(w.redis, "faultline:ckpt:points:rt-model");
        long seq = JSON.readTree(points.get("rt/run")).path("seq").asLong();
        assertThat(seq).isEqualTo(s.sequence());
        assertThat(IndexWriter.hash(w.redis, "faultline:ckpt:steps:rt-model")).containsEntry("step1", "7");
        assertThat(IndexWriter.hash(w.redis, "faultline:ckpt:seen:rt-model"))
                .containsEntry("step1", Long.toString(s.sequence()));
        for (String key : new String[] {
            "faultline:runs:event:rt/run", "faultline:runs:run:rt-run", "faultline:runs:counts:rt-run",
            "faultline:ckpt:points:rt-model", "faultline:ckpt:seen:rt-model", "faultline:ckpt:steps:rt-model"
        }) {
            assertThat(w.redis.key(String.class).ttl(key)).as(key).isBetween(30L * 86400 - 60, 30L * 86400);
        }

        // the same record again: only the summary is rewritten, in the read's and the write's round trips
        assertThat(w.roundTrips(() -> w.runs.add(r, 3, 42))).isEqualTo(2);
        assertThat(IndexWriter.hash(w.redis, "faultline:runs:counts:rt-run")).containsEntry("events", "1");

        // a later result of the event in another run moves it there; its checkpoint point keeps its arrival number
        AttributionResult moved = UiResults.attributed("rt/run", "rt-run-2", "rt-model", "step1", 7L);
        w.runs.add(moved, 3, 43);
        assertThat(IndexWriter.hash(w.redis, "faultline:runs:counts:rt-run"))
                .containsEntry("events", "0")
                .containsEntry("verdict:INCORRECT", "0");
        assertThat(IndexWriter.hash(w.redis, "faultline:runs:run:rt-run")).isEmpty();
        assertThat(IndexWriter.hash(w.redis, "faultline:runs:counts:rt-run-2")).containsEntry("events", "1");
        points = IndexWriter.hash(w.redis, "faultline:ckpt:points:rt-model");
        assertThat(JSON.readTree(points.get("rt/run")).path("seq").asLong()).isEqualTo(seq);
        assertThat(w.runs.event("rt/run").orElseThrow().sequence()).isGreaterThan(seq);
    }
}
