package dev.faultline.replay;

import dev.faultline.contract.EvalOutput;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes events to a Kafka topic with a plain producer, keyed by {@code run_id} (one run stays in order). */
public final class KafkaEventSink implements EventSink {

    private final KafkaProducer<String, String> producer;
    private final String topic;
    private final String bootstrap;
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<String> firstReason = new AtomicReference<>();
    /** Set by a send that timed out: the broker is unreachable and the remaining events would each wait as long. */
    private final AtomicReference<Exception> unreachable = new AtomicReference<>();

    public KafkaEventSink(String bootstrap, String topic) {
        this(bootstrap, topic, new Properties());
    }

    /**
     * @param clientConfig Kafka client properties (a {@code --command-config} file: security settings, timeouts),
     *        applied under the producer's own bootstrap, serializers and delivery guarantees
     */
    public KafkaEventSink(String bootstrap, String topic, Properties clientConfig) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.producer = new KafkaProducer<>(producerConfig(bootstrap, clientConfig));
    }

    /** The producer's properties: {@code clientConfig}, then bootstrap, serializers, acks=all and idempotence. */
    public static Properties producerConfig(String bootstrap, Properties clientConfig) {
        Properties p = new Properties();
        p.putAll(clientConfig);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 * 1024 * 1024));
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "faultline-replay");
        return p;
    }

    @Override
    public void send(EvalOutput event, String json) {
        Exception down = unreachable.get();
        if (down != null) {
            throw new SinkUnavailableException("Kafka at " + bootstrap + " did not answer: " + down.getMessage(), down);
        }
        try {
            producer.send(new ProducerRecord<>(topic, event.runId(), json), (meta, error) -> {
                if (error != null) {
                    failed.incrementAndGet();
                    firstReason.compareAndSet(null, event.eventId() + ": " + error.getMessage());
                    if (error instanceof org.apache.kafka.common.errors.TimeoutException) {
                        unreachable.compareAndSet(null, error);
                    }
                }
            });
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new SinkUnavailableException("Kafka at " + bootstrap + " did not answer: " + e.getMessage(), e);
        } catch (KafkaException e) {
            failed.incrementAndGet();
            firstReason.compareAndSet(null, event.eventId() + ": " + e.getMessage());
        }
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public Failures failures() {
        return new Failures(failed.get(), firstReason.get());
    }

    @Override
    public String describe() {
        return "kafka " + bootstrap + " topic " + topic;
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(10));
    }
}
