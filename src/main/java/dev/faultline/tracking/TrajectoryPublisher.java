package dev.faultline.tracking;

import dev.faultline.channels.Channels;
import dev.faultline.channels.Topics;
import dev.faultline.config.KafkaClients;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Publishes each trajectory, whole, on {@code attribution.trajectories} keyed {@code <model>/<benchmark>/<event_id>}
 * every time it gains a point; the topic is compacted (created so on first use when absent), so it keeps the latest
 * trajectory of each tracked failure.
 */
@ApplicationScoped
public class TrajectoryPublisher {

    private static final Logger LOG = Logger.getLogger(TrajectoryPublisher.class);

    @Inject
    @Channel(Channels.ATTRIBUTION_TRAJECTORIES_OUT)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<Trajectory> emitter;

    @Inject
    Config config;

    private volatile boolean topicChecked;

    public CompletionStage<Void> publish(Trajectory t) {
        ensureTopic();
        String key = t.model() + "/" + t.benchmark() + "/" + t.eventId();
        return emitter.sendMessage(Message.of(t)
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                                .withKey(key)
                                .build()))
                .subscribeAsCompletionStage();
    }

    private void ensureTopic() {
        if (topicChecked) {
            return;
        }
        Map<String, String> kafka = KafkaClients.fromConfig(config);
        if (!kafka.containsKey(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            return;
        }
        topicChecked = true;
        try (Admin admin = Admin.create(adminConfig(kafka))) {
            if (admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(Topics.ATTRIBUTION_TRAJECTORIES)) {
                return;
            }
            admin.createTopics(List.of(new NewTopic(Topics.ATTRIBUTION_TRAJECTORIES, Optional.empty(), Optional.empty())
                            .configs(Map.of("cleanup.policy", "compact"))))
                    .all()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                LOG.warnf(
                        "could not create %s compacted (it will be auto-created): %s",
                        Topics.ATTRIBUTION_TRAJECTORIES, e.getMessage());
            }
        }
    }

    /** The admin client's properties: the shared {@code kafka.*} connection and security settings. */
    public static Properties adminConfig(Map<String, String> kafka) {
        return KafkaClients.properties(
                kafka,
                Map.of(
                        AdminClientConfig.CLIENT_ID_CONFIG, "faultline-trajectory-topic",
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"));
    }
}
