package dev.faultline.pipeline;

import dev.faultline.channels.Channels;
import dev.faultline.metrics.IngestMetrics;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Writes unprocessable records to {@code eval.outputs.dlq} unchanged (same key and value, a null value included) with why and where from in
 * headers, named as SmallRye's own dead-letter strategy names them: {@value #REASON} (readable message),
 * {@value #REASON_CODE} (short code, the metric label), {@value #TOPIC}, {@value #PARTITION}, {@value #OFFSET}.
 */
@ApplicationScoped
public class DeadLetters {

    public static final String REASON = "dead-letter-reason";
    public static final String REASON_CODE = "faultline-reason";
    public static final String TOPIC = "dead-letter-topic";
    public static final String PARTITION = "dead-letter-partition";
    public static final String OFFSET = "dead-letter-offset";

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    private final MutinyEmitter<byte[]> emitter;
    private final IngestMetrics metrics;

    public DeadLetters(
            @Channel(Channels.EVAL_OUTPUTS_DLQ) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
                    MutinyEmitter<byte[]> emitter,
            IngestMetrics metrics) {
        this.emitter = emitter;
        this.metrics = metrics;
    }

    /** Sends the record to the DLQ; the stage completes when the broker has it. */
    public CompletionStage<Void> send(
            String key, byte[] value, String reasonCode, String reason, String topic, int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(reason));
        headers.add(REASON_CODE, utf8(reasonCode));
        headers.add(TOPIC, utf8(topic));
        headers.add(PARTITION, utf8(Integer.toString(partition)));
        headers.add(OFFSET, utf8(Long.toString(offset)));
        LOG.debugf("DLQ %s-%d@%d: %s", topic, partition, offset, reason);
        metrics.deadLettered(reasonCode);
        // a null value (a tombstone) stays null: the DLQ keeps the record as it was
        Message<byte[]> message = Message.of(value)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(key)
                        .withHeaders(headers)
                        .build());
        return emitter.sendMessage(message).subscribeAsCompletionStage();
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }
}
