package dev.faultline.pipeline;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/** Publishes validated events (as received) to {@code eval.outputs}, keyed by {@code run_id}. */
@ApplicationScoped
public class EventPublisher {

    /** Outgoing channel bound to {@code eval.outputs}. */
    public static final String CHANNEL = "eval-outputs-out";

    private final MutinyEmitter<byte[]> emitter;

    public EventPublisher(@Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
            MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    /** Sends one event; the Uni completes when the broker has acknowledged it. */
    public Uni<Void> publish(String runId, byte[] json) {
        return emitter.sendMessage(Message.of(json)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(runId).build()));
    }
}
