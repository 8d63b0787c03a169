package dev.faultline.pipeline;

import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
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
 * Writes jobs the worker gives up on to {@code attribution.jobs.dlq} unchanged (same key and value), with the headers
 * {@link DeadLetters} writes on {@code eval.outputs.dlq} ({@value DeadLetters#REASON}, {@value DeadLetters#REASON_CODE},
 * {@value DeadLetters#TOPIC}, {@value DeadLetters#PARTITION}, {@value DeadLetters#OFFSET}) and {@value #ATTEMPTS}.
 */
@ApplicationScoped
public class JobDeadLetters {

    /** Reason code of a job whose attempts ran out. */
    public static final String ATTEMPTS_EXHAUSTED = "attempts";
    /** Header: how many attempts the job had when it was given up. */
    public static final String ATTEMPTS = "faultline-attempts";

    private static final Logger LOG = Logger.getLogger(JobDeadLetters.class);

    private final MutinyEmitter<String> emitter;

    public JobDeadLetters(
            @Channel(Channels.ATTRIBUTION_JOBS_DLQ) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
                    MutinyEmitter<String> emitter) {
        this.emitter = emitter;
    }

    /** Sends the job record to the jobs DLQ; the stage completes when the broker has it. */
    public CompletionStage<Void> send(
            String key, String value, long attempts, String reason, String topic, int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetters.REASON, utf8(reason));
        headers.add(DeadLetters.REASON_CODE, utf8(ATTEMPTS_EXHAUSTED));
        headers.add(DeadLetters.TOPIC, utf8(topic));
        headers.add(DeadLetters.PARTITION, utf8(Integer.toString(partition)));
        headers.add(DeadLetters.OFFSET, utf8(Long.toString(offset)));
        headers.add(ATTEMPTS, utf8(Long.toString(attempts)));
        LOG.warnf("job %s-%d@%d to %s: %s", topic, partition, offset, Topics.ATTRIBUTION_JOBS_DLQ, reason);
        Message<String> message = Message.of(value)
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
