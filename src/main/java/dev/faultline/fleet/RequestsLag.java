package dev.faultline.fleet;

import dev.faultline.channels.Topics;
import dev.faultline.config.KafkaClients;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * The fleet's backlog of work done once per fleet: the lag of the workers' group ({@value #GROUP}) on
 * {@value dev.faultline.channels.Topics#ATTRIBUTION_REQUESTS}, i.e. requests (re-attributions, forwarded graph and track requests) sent and not yet
 * acknowledged by the worker that took them, whether still on the topic or waiting in that worker's
 * {@code RetrackQueue}. The same number on every pod, read from the broker (committed offsets against end offsets), at
 * most every {@value #REFRESH_MILLIS} ms and never on the caller's thread: {@link #lag()} answers the last value read
 * (NaN before the first, or while the broker does not answer).
 */
@ApplicationScoped
public class RequestsLag {

    /** The workers' consumer group on {@value dev.faultline.channels.Topics#ATTRIBUTION_REQUESTS} (application.properties). */
    public static final String GROUP = "faultline-requests";

    static final long REFRESH_MILLIS = 10_000;
    static final int TIMEOUT_MILLIS = 5_000;
    private static final Logger LOG = Logger.getLogger(RequestsLag.class);

    @Inject
    Config config;

    private volatile double lag = Double.NaN;
    private volatile long readAtMillis;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile Admin admin;

    /** The last lag read (NaN before the first answer or after a failed read); starts a new read when due. */
    public double lag() {
        long now = System.currentTimeMillis();
        if (now - readAtMillis >= REFRESH_MILLIS && reading.compareAndSet(false, true)) {
            readAtMillis = now;
            CompletableFuture.runAsync(() -> {
                try {
                    lag = lag(admin(), GROUP, Topics.ATTRIBUTION_REQUESTS, TIMEOUT_MILLIS);
                } catch (Exception e) {
                    LOG.debugf("lag of %s not read: %s", GROUP, e.getMessage());
                    lag = Double.NaN;
                } finally {
                    reading.set(false);
                }
            });
        }
        return lag;
    }

    /**
     * Records of {@code topic} that {@code group} has not committed: per partition the end offset minus the committed
     * offset, or minus the first offset where the group has committed none (it starts from the earliest).
     */
    public static long lag(Admin admin, String group, String topic, long timeoutMillis) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(timeoutMillis, TimeUnit.MILLISECONDS);
        int partitions = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(timeoutMillis, TimeUnit.MILLISECONDS)
                .get(topic)
                .partitions()
                .size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            latest.put(tp, OffsetSpec.latest());
            if (committed.get(tp) == null) {
                earliest.put(tp, OffsetSpec.earliest());
            }
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(latest).all().get(timeoutMillis, TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = earliest.isEmpty()
                ? Map.of()
                : admin.listOffsets(earliest).all().get(timeoutMillis, TimeUnit.MILLISECONDS);
        long total = 0;
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long from = c != null ? c.offset() : starts.get(e.getKey()).offset();
            total += Math.max(0, e.getValue().offset() - from);
        }
        return total;
    }

    private Admin admin() {
        Admin a = admin;
        if (a == null) {
            synchronized (this) {
                a = admin;
                if (a == null) {
                    a = Admin.create(KafkaClients.properties(
                            KafkaClients.fromConfig(config),
                            Map.of(
                                    AdminClientConfig.CLIENT_ID_CONFIG, "faultline-requests-lag",
                                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(TIMEOUT_MILLIS),
                                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(TIMEOUT_MILLIS))));
                    admin = a;
                }
            }
        }
        return a;
    }

    @PreDestroy
    void close() {
        Admin a = admin;
        if (a != null) {
            a.close(Duration.ofSeconds(1));
        }
    }
}
