package dev.faultline.pipeline;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionResult;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/** Publishes results on {@code attribution.results}, keyed by event id; the stage completes when the broker acks. */
@ApplicationScoped
public class ResultPublisher {

    /** Outgoing channel of results (topic {@value #TOPIC}). */
    public static final String CHANNEL = "attribution-results-out";
    public static final String TOPIC = "attribution.results";

    @Inject
    @Channel(CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<String> emitter;

    @Inject
    ObjectMapper json;

    @Inject
    PipelineMetrics metrics;

    /** Sends the result; {@code fromWorker} marks results of incorrect events (for the coverage metric). */
    public CompletionStage<Void> publish(AttributionResult result, boolean fromWorker) {
        String payload;
        try {
            payload = json.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("result of " + result.eventId() + " is not serialisable", e);
        }
        Message<String> message = Message.of(payload).addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder().withKey(result.eventId()).build());
        return emitter.sendMessage(message).subscribeAsCompletionStage()
                .thenRun(() -> metrics.published(result, fromWorker));
    }
}
