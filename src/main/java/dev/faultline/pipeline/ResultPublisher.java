package dev.faultline.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.faultline.channels.Channels;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.metrics.PipelineMetrics;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Publishes results on {@code attribution.results}, keyed by event id; the stage completes when the broker acks (the
 * channel's producer runs with {@code acks=all} and idempotence, so a retry after a lost ack writes no second
 * record). The ids of the last {@value #REMEMBERED} events published by this process are kept in memory: with Redis
 * down, a re-delivery to the same process still publishes nothing again.
 */
@ApplicationScoped
public class ResultPublisher {

    @Inject
    @Channel(Channels.ATTRIBUTION_RESULTS_OUT)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<AttributionResult> emitter;

    /** How many published event ids this process remembers. */
    static final int REMEMBERED = 100_000;

    private final Cache<String, Boolean> publishedHere =
            Caffeine.newBuilder().maximumSize(REMEMBERED).build();

    @Inject
    PipelineMetrics metrics;

    /** Sends the result; {@code fromWorker} marks results of incorrect events (for the coverage metric). */
    public CompletionStage<Void> publish(AttributionResult result, boolean fromWorker) {
        // JSON by Quarkus' auto-detected Jackson serializer (the application's ObjectMapper)
        Message<AttributionResult> message = Message.of(result)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(result.eventId())
                        .build());
        return emitter.sendMessage(message).subscribeAsCompletionStage().thenRun(() -> {
            if (isFinal(result)) {
                publishedHere.put(result.eventId(), Boolean.TRUE);
            }
            metrics.published(result, fromWorker);
        });
    }

    /** Whether a result is final: FAILED and MODEL_UNAVAILABLE are transient, a re-delivery tries again. */
    private static boolean isFinal(AttributionResult result) {
        return result.status() != AttributionStatus.FAILED && result.status() != AttributionStatus.MODEL_UNAVAILABLE;
    }

    /** Whether this process has published a final a result of {@code eventId} (among the last {@value #REMEMBERED}). */
    public boolean publishedHere(String eventId) {
        return publishedHere.getIfPresent(eventId) != null;
    }
}
