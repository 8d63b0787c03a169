package dev.faultline.pipeline;

import dev.faultline.channels.Channels;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/** Publishes validated events (as received) to {@code eval.outputs}, keyed by {@code run_id}. */
@ApplicationScoped
public class EventPublisher {

    private final MutinyEmitter<byte[]> emitter;

    public EventPublisher(
            @Channel(Channels.EVAL_OUTPUTS_OUT) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
                    MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    /** Sends one event; the Uni completes when the broker has acknowledged it. */
    public Uni<Void> publish(String runId, byte[] json) {
        return emitter.sendMessage(Message.of(json)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(runId)
                        .build()));
    }
}
