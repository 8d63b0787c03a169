package dev.faultline.topics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** Renders a {@link TopicsFile} as Strimzi {@code KafkaTopic} resources, so Kubernetes users get the same topics. */
public final class StrimziTopics {

    /** The Strimzi cluster the topics belong to when none is given (label {@code strimzi.io/cluster}). */
    public static final String DEFAULT_CLUSTER = "faultline-kafka";

    private StrimziTopics() {}

    /** Multi-document YAML, one {@code kafka.strimzi.io/v1beta2 KafkaTopic} per declared topic, in file order. */
    public static String render(TopicsFile file, String cluster) {
        YAMLFactory yaml = YAMLFactory.builder()
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                .build();
        ObjectMapper mapper = new ObjectMapper(yaml);
        StringWriter out = new StringWriter();
        out.write(
                "# GENERATED from kafka-topics/topics.yaml by `java -jar quarkus-run.jar topics strimzi`; do not edit.\n");
        try (SequenceWriter writer = mapper.writer().writeValues(out)) {
            for (TopicSpec t : file.topics()) {
                ObjectNode r = mapper.createObjectNode();
                r.put("apiVersion", "kafka.strimzi.io/v1beta2");
                r.put("kind", "KafkaTopic");
                ObjectNode meta = r.putObject("metadata");
                meta.put("name", resourceName(t.name()));
                meta.putObject("labels")
                        .put("strimzi.io/cluster", cluster)
                        .put("app.kubernetes.io/part-of", "faultline");
                if (t.description() != null) {
                    meta.putObject("annotations").put("faultline.dev/description", t.description());
                }
                ObjectNode spec = r.putObject("spec");
                spec.put("topicName", t.name());
                spec.put("partitions", t.partitions());
                spec.put("replicas", t.replicas());
                ObjectNode config = spec.putObject("config");
                t.config().forEach(config::put);
                writer.write(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Kubernetes resource name for a topic: lower case, dots and underscores as dashes. */
    public static String resourceName(String topic) {
        return topic.toLowerCase(java.util.Locale.ROOT).replace('.', '-').replace('_', '-');
    }
}
