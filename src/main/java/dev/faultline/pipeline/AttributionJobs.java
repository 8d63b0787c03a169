package dev.faultline.pipeline;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.triage.ScoredEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * The pipeline's {@link ScoredEventSink}: correct and unscorable events become results at once; incorrect ones become
 * jobs on {@code attribution.jobs} keyed {@code model@revision}, so one model's jobs stay on one worker. The returned
 * stage completes when the broker has acknowledged the result or job, so triage commits its offset only then.
 */
@ApplicationScoped
public class AttributionJobs implements ScoredEventSink {

    /** Outgoing channel of jobs (topic {@value #TOPIC}). */
    public static final String CHANNEL = "attribution-jobs-out";
    public static final String TOPIC = "attribution.jobs";

    @Inject
    @Channel(CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<String> jobs;

    @Inject
    ResultPublisher results;

    @Inject
    ObjectMapper json;

    @Override
    public CompletionStage<Void> accept(ScoredEvent scored) {
        if (scored.verdict() != Verdict.INCORRECT) {
            AttributionStatus status = scored.verdict() == Verdict.CORRECT ? AttributionStatus.CORRECT
                    : AttributionStatus.UNSCORABLE;
            return results.publish(new ResultBuilder(scored.event(), scored.verdict(), status, scored.reason()).build(),
                    false);
        }
        AttributionJob job = new AttributionJob(scored.event(), scored.verdict(), scored.answer(),
                System.currentTimeMillis());
        String payload;
        try {
            payload = json.writeValueAsString(job);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("job of " + scored.event().eventId() + " is not serialisable", e);
        }
        String key = scored.event().model() == null ? "unknown@main" : scored.event().model().key();
        return jobs.sendMessage(Message.of(payload)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build()))
                .subscribeAsCompletionStage();
    }
}
