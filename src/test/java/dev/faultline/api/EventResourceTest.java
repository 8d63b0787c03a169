package dev.faultline.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.config.FaultlineConfig;
import dev.faultline.pipeline.EventPublisher;
import dev.faultline.pipeline.EventValidator;
import dev.faultline.pipeline.KafkaReadiness;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** POST /api/events when the broker does not answer: a bounded 503 with Retry-After, never a long wait. */
class EventResourceTest {

    private static final FaultlineConfig.Ingest LIMITS = new FaultlineConfig.Ingest() {
        public int maxEventBytes() {
            return 4 << 20;
        }

        public int maxPromptBytes() {
            return 1 << 20;
        }

        public int maxOutputBytes() {
            return 1000;
        }

        public int maxReferences() {
            return 3;
        }

        public int maxReferenceBytes() {
            return 100;
        }

        public int maxTokenIds() {
            return 1000;
        }

        public int maxMessages() {
            return 10;
        }
    };

    private static final byte[] EVENT = ("{\"schema\":\"faultline.eval-output/v1\",\"event_id\":\"e1\","
                    + "\"run_id\":\"r1\",\"model\":{\"name\":\"m\",\"revision\":\"main\"},\"benchmark\":\"b\","
                    + "\"example_id\":\"x\",\"prompt\":\"p\",\"output\":\"o\",\"references\":[\"o\"],\"produced_at\":\"2026-11-24T12:00:00Z\"}")
            .getBytes(StandardCharsets.UTF_8);

    /** A publisher whose broker never acknowledges; counts the sends. */
    static final class SilentPublisher extends EventPublisher {
        final AtomicInteger sends = new AtomicInteger();

        SilentPublisher() {
            super(null);
        }

        @Override
        public Uni<Void> publish(String runId, byte[] json) {
            sends.incrementAndGet();
            return Uni.createFrom().nothing();
        }
    }

    static final class DownBroker extends KafkaReadiness {
        @Override
        public String brokerDown() {
            return "no answer from the brokers within 800 ms";
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anUnacknowledgedEventIs503WithRetryAfter() {
        SilentPublisher publisher = new SilentPublisher();
        EventResource resource =
                new EventResource(new EventValidator(LIMITS), publisher, new KafkaReadiness(), Duration.ofMillis(200));
        Response r = resource.submit(EVENT).await().indefinitely();
        assertThat(r.getStatus()).isEqualTo(503);
        assertThat(r.getHeaderString("Retry-After")).isEqualTo("5");
        assertThat(((EventResource.Rejected) r.getEntity()).message()).contains("did not acknowledge");
        assertThat(publisher.sends).hasValue(1);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void aBrokerKnownDownIsRefusedWithoutSending() {
        SilentPublisher publisher = new SilentPublisher();
        EventResource resource =
                new EventResource(new EventValidator(LIMITS), publisher, new DownBroker(), Duration.ofMinutes(5));
        Response r = resource.submit(EVENT).await().indefinitely();
        assertThat(r.getStatus()).isEqualTo(503);
        assertThat(((EventResource.Rejected) r.getEntity()).error()).isEqualTo("broker_unavailable");
        assertThat(((EventResource.Rejected) r.getEntity()).message()).contains("Kafka is unreachable");
        assertThat(publisher.sends).hasValue(0);
    }
}
