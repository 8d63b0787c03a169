package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.embedded.LocalServicesResource;
import dev.faultline.fleet.InProcessWorker;
import dev.faultline.fleet.ServiceProcesses;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Several attribution workers and one triage on the embedded broker and Redis. The triage is this Quarkus process's
 * own (it consumes {@code eval.outputs} and sends jobs to a 6-partition jobs topic); its SmallRye worker is off. The
 * three workers are {@link InProcessWorker}s, separate Kafka consumers in one group, each polling
 * {@code attribution.jobs} and handing every job to the real worker path ({@link AttributionWorker#attribute}),
 * committing a poll's offsets only once its jobs are done, as the connector does. They share this JVM's engine thread
 * (DJL allows one per JVM), so the test shows distribution, rebalancing and one result per event, not speed-up. Model:
 * the bundled faultline-demo (milliseconds per attribution).
 */
@QuarkusTest
@WithTestResource(LocalServicesResource.class)
@TestProfile(MultiWorkerTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiWorkerTest {

    static final String JOBS = "attribution.jobs.multi";
    static final int PARTITIONS = 6;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mp.messaging.incoming.attribution-jobs.enabled",
                    "false",
                    "mp.messaging.outgoing.attribution-jobs-out.topic",
                    JOBS,
                    "faultline.attribution.job-shards",
                    Integer.toString(PARTITIONS),
                    "faultline.tracking.enabled",
                    "false",
                    // the random wrong digits are seldom the model's own choice: attribute them all the same
                    "faultline.attribution.min-logit-diff",
                    "-1000");
        }
    }

    @Inject
    AttributionWorker worker;

    @Inject
    ObjectMapper json;

    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void topic() throws Exception {
        LocalServicesResource.createTopics(Map.of(JOBS, PARTITIONS));
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalServicesResource.bootstrapServers());
        producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
    }

    @AfterAll
    static void close() {
        producer.close();
    }

    /** A worker in the group on the jobs topic; one with {@code dieAfter} dies after taking that many jobs. */
    InProcessWorker start(String name, int dieAfter) {
        return new InProcessWorker.Group(
                        LocalServicesResource.bootstrapServers(), "mw-workers", JOBS, null, worker, null, json)
                .start(name, dieAfter);
    }

    InProcessWorker start(String name) {
        return start(name, Integer.MAX_VALUE);
    }

    /** {@code n} wrong answers of distinct addition problems (distinct inputs: no answer from the input cache). */
    List<EvalOutput> run(String runId, int n, long seed) {
        return ServiceProcesses.failures(runId, n, seed);
    }

    void publish(List<EvalOutput> events) throws Exception {
        for (EvalOutput e : events) {
            producer.send(new ProducerRecord<>("eval.outputs", e.runId(), json.writeValueAsString(e)));
        }
        producer.flush();
    }

    /** Results of the run on the topic, by event id, once every event has one (or after the timeout). */
    Map<String, List<AttributionResult>> results(String runId, Set<String> ids, Duration timeout) {
        try (ResultsTopic topic = new ResultsTopic(LocalServicesResource.bootstrapServers())) {
            topic.pollUntil(
                    rs -> rs.stream()
                            .filter(r -> runId.equals(r.runId()))
                            .map(AttributionResult::eventId)
                            .collect(Collectors.toSet())
                            .containsAll(ids),
                    timeout);
            // a little longer: a duplicate would come right after
            topic.pollUntil(rs -> false, Duration.ofSeconds(3));
            return topic.results.stream()
                    .filter(r -> runId.equals(r.runId()))
                    .collect(Collectors.groupingBy(AttributionResult::eventId));
        }
    }

    static void assertOneResultEach(Map<String, List<AttributionResult>> byEvent, Set<String> ids) {
        assertThat(byEvent.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(byEvent.entrySet())
                .allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).hasSize(1));
    }

    @Test
    @Order(1)
    void oneRunSpreadsOverThreeWorkersWithOneResultPerEvent() throws Exception {
        List<EvalOutput> events = run("multi/run-1", 240, 1);
        Set<String> ids = events.stream().map(EvalOutput::eventId).collect(Collectors.toCollection(LinkedHashSet::new));
        try (InProcessWorker a = start("a");
                InProcessWorker b = start("b");
                InProcessWorker c = start("c")) {
            Thread.sleep(3000); // the three join the group before the run starts
            publish(events);
            Map<String, List<AttributionResult>> byEvent = results("multi/run-1", ids, Duration.ofMinutes(4));
            assertOneResultEach(byEvent, ids);
            for (InProcessWorker i : List.of(a, b, c)) {
                long mine = i.jobEvents().stream().filter(ids::contains).count();
                assertThat(mine).as("jobs of worker %s", i.name()).isGreaterThanOrEqualTo(ids.size() / 5);
            }
            assertThat(byEvent.values().stream()
                            .filter(l -> l.get(0).status() == AttributionStatus.ATTRIBUTED)
                            .count())
                    .as("attributed by the engine, not skipped")
                    .isGreaterThan(ids.size() / 2);
        }
    }

    @Test
    @Order(2)
    void aWorkerKilledMidRunLeavesExactlyOneResultPerEvent() throws Exception {
        List<EvalOutput> events = run("multi/run-2", 240, 2);
        Set<String> ids = events.stream().map(EvalOutput::eventId).collect(Collectors.toCollection(LinkedHashSet::new));
        try (InProcessWorker a = start("a2");
                InProcessWorker b = start("b2")) {
            // dies after 30 jobs, with its last poll's jobs still running and their offsets not committed
            InProcessWorker c = start("c2", 30);
            Thread.sleep(3000);
            publish(events);
            c.join(Duration.ofMinutes(2));
            assertThat(c.killed()).isTrue();
            Set<Integer> hisPartitions = c.partitions();
            Map<String, List<AttributionResult>> byEvent = results("multi/run-2", ids, Duration.ofMinutes(4));
            assertOneResultEach(byEvent, ids);
            Set<Integer> takenOver = new HashSet<>(a.partitions());
            takenOver.addAll(b.partitions());
            assertThat(takenOver)
                    .as("the survivors took the dead worker's partitions over")
                    .containsAll(hisPartitions);
            Set<String> again = new HashSet<>(c.jobEvents());
            Set<String> survivors = new HashSet<>(a.jobEvents());
            survivors.addAll(b.jobEvents());
            again.retainAll(survivors);
            assertThat(again)
                    .as("jobs of the dead worker delivered again to the survivors")
                    .isNotEmpty();
        }
    }

    @Inject
    JobClaims claims;

    @Inject
    io.quarkus.redis.datasource.RedisDataSource redis;

    @Inject
    ResultPublisher results;

    @Test
    @Order(3)
    void theClaimOfADeadWorkerIsTakenOver() throws Exception {
        redis.value(String.class).set(JobClaims.CLAIM_PREFIX + "multi/dead-1", "dead-worker/attempt-1");
        JobClaims.Decision d = claims.acquire("multi/dead-1", 10);
        assertThat(d)
                .isInstanceOfSatisfying(
                        JobClaims.Owned.class, o -> assertThat(o.claim()).startsWith(claims.workerId() + "/"));
        assertThat(redis.value(String.class).get(JobClaims.CLAIM_PREFIX + "multi/dead-1"))
                .startsWith(claims.workerId());
    }

    @Test
    @Order(4)
    void theClaimOfALiveWorkerIsWaitedForUntilTheResultIsLinked() throws Exception {
        var values = redis.value(String.class);
        values.setex(JobClaims.WORKER_PREFIX + "live-worker", 60, "alive");
        values.set(JobClaims.CLAIM_PREFIX + "multi/live-1", "live-worker/attempt-1");
        CompletableFuture<JobClaims.Decision> d = CompletableFuture.supplyAsync(() -> {
            try {
                return claims.acquire("multi/live-1", 10);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(d).as("still waiting for the live owner").isNotDone();
        values.set(dev.faultline.store.CacheKeys.EVENT_PREFIX + "multi/live-1", "faultline:result:multi/live-1");
        assertThat(d.get(30, TimeUnit.SECONDS)).isInstanceOf(JobClaims.Done.class);
    }

    @Test
    @Order(5)
    void aResultPublishedByAWorkerThatDiedBeforeLinkingIsNotPublishedAgain() throws Exception {
        EvalOutput e = run("multi/run-3", 1, 3).get(0);
        var values = redis.value(String.class);
        // the dead worker's state: a publishing mark, its result on the topic, no event link, a stale claim
        values.set(JobClaims.PUBLISHING_PREFIX + e.eventId(), Long.toString(System.currentTimeMillis()));
        values.set(JobClaims.CLAIM_PREFIX + e.eventId(), "dead-worker/attempt-9");
        results.publish(
                        new ResultBuilder(
                                        e,
                                        dev.faultline.contract.Verdict.INCORRECT,
                                        AttributionStatus.NO_CONTRAST,
                                        "from the dead worker")
                                .build(),
                        true)
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        worker.attribute(new AttributionJob(e, dev.faultline.contract.Verdict.INCORRECT, null, 0))
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        Map<String, List<AttributionResult>> byEvent =
                results("multi/run-3", Set.of(e.eventId()), Duration.ofSeconds(30));
        assertThat(byEvent.get(e.eventId()))
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("from the dead worker"));
        assertThat(values.get(dev.faultline.store.CacheKeys.EVENT_PREFIX + e.eventId()))
                .isNotNull();
        assertThat(values.get(JobClaims.CLAIM_PREFIX + e.eventId())).isNull();
    }
}
