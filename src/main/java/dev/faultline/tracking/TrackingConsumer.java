package dev.faultline.tracking;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Channels;
import dev.faultline.contract.AttributionResult;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads {@code attribution.results} in the fleet's tracking group ({@code faultline-tracking}, offsets committed) and
 * hands every readable result to {@link FailureTracker#accept}; unreadable records are logged and skipped.
 */
@ApplicationScoped
public class TrackingConsumer {

    private static final Logger LOG = Logger.getLogger(TrackingConsumer.class);

    @Inject
    TrackingConfig config;

    @Inject
    FailureTracker tracker;

    @Inject
    ObjectMapper json;

    @Incoming(Channels.ATTRIBUTION_RESULTS_TRACKING)
    @Blocking
    public void onResult(ConsumerRecord<String, String> record) {
        if (record.value() == null || !config.enabled()) {
            return;
        }
        AttributionResult r;
        try {
            r = json.readValue(record.value(), AttributionResult.class);
        } catch (Exception e) {
            LOG.warnf(
                    "unreadable result at %s-%d@%d skipped: %s",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        tracker.accept(r);
    }
}
