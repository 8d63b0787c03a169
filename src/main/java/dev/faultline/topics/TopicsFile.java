package dev.faultline.topics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The parsed declarative topic file ({@code kafka-topics/topics.yaml}), validated: unique names, sane counts. */
public record TopicsFile(List<TopicSpec> topics) {

    /** Path of the file relative to the repository root (and its name on the class path). */
    public static final String DEFAULT_PATH = "kafka-topics/topics.yaml";

    public TopicsFile {
        topics = List.copyOf(topics);
        Set<String> seen = new HashSet<>();
        for (TopicSpec t : topics) {
            if (!seen.add(t.name())) {
                throw new IllegalArgumentException("topic declared twice: " + t.name());
            }
        }
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("no topics declared");
        }
    }

    /** Reads a topic file; a missing file or a malformed entry is an {@link IllegalArgumentException} naming it. */
    public static TopicsFile load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("topic file not found: " + file.toAbsolutePath());
        }
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read topic file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the file bundled in the jar (a copy of {@link #DEFAULT_PATH} made at build time). */
    public static TopicsFile bundled() {
        InputStream in = TopicsFile.class.getClassLoader().getResourceAsStream(DEFAULT_PATH);
        if (in == null) {
            throw new IllegalArgumentException(DEFAULT_PATH + " is not on the class path; pass --file");
        }
        try (in) {
            return parse(in, "classpath:" + DEFAULT_PATH);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read bundled " + DEFAULT_PATH + ": " + e.getMessage(), e);
        }
    }

    static TopicsFile parse(InputStream in, String source) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(in);
        if (root == null || !root.path("topics").isArray()) {
            throw new IllegalArgumentException(source + ": expected a top-level 'topics' list");
        }
        List<TopicSpec> topics = new ArrayList<>();
        int i = 0;
        for (JsonNode t : root.get("topics")) {
            String where = source + ": topics[" + i++ + "]";
            for (String required : List.of("name", "partitions", "replicas")) {
                if (!t.hasNonNull(required)) {
                    throw new IllegalArgumentException(where + ": missing '" + required + "'");
                }
            }
            if (!t.get("partitions").canConvertToExactIntegral()
                    || !t.get("replicas").canConvertToExactIntegral()) {
                throw new IllegalArgumentException(where + ": partitions and replicas must be integers");
            }
            Map<String, String> config = new LinkedHashMap<>();
            t.path("config").fields().forEachRemaining(e -> {
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw new IllegalArgumentException(where + ": config '" + e.getKey() + "' must be a scalar");
                }
                config.put(e.getKey(), e.getValue().asText());
            });
            try {
                topics.add(new TopicSpec(
                        t.get("name").asText(),
                        t.path("description").asText(null),
                        t.get("partitions").asInt(),
                        t.get("replicas").asInt(),
                        config));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return new TopicsFile(topics);
    }

    /** The topic of that name, or an exception naming the declared ones. */
    public TopicSpec topic(String name) {
        return topics.stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no topic " + name + " in " + names()));
    }

    public List<String> names() {
        return topics.stream().map(TopicSpec::name).toList();
    }
}
