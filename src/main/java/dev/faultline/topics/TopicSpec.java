package dev.faultline.topics;

import java.util.Map;
import java.util.TreeMap;

/** One topic as declared in {@code kafka-topics/topics.yaml}: name, partitions, replication factor and topic configs. */
public record TopicSpec(String name, String description, int partitions, int replicas, Map<String, String> config) {

    public TopicSpec {
        if (name == null || name.isBlank() || !name.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new IllegalArgumentException("invalid topic name: " + name);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be >= 1, got " + partitions);
        }
        if (replicas < 1) {
            throw new IllegalArgumentException("topic " + name + ": replicas must be >= 1, got " + replicas);
        }
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(config));
        String policy = config.get("cleanup.policy");
        if (policy != null && !policy.matches("(delete|compact)(,(delete|compact))?")) {
            throw new IllegalArgumentException(
                    "topic " + name + ": cleanup.policy must be delete, compact or both, got " + policy);
        }
    }

    /** This topic with its replication factor capped at {@code maxReplicas} and min.insync.replicas kept below it. */
    public TopicSpec withMaxReplicas(int maxReplicas) {
        if (replicas <= maxReplicas) {
            return this;
        }
        Map<String, String> capped = new TreeMap<>(config);
        capped.computeIfPresent(
                "min.insync.replicas",
                (k, v) -> String.valueOf(Math.min(Integer.parseInt(v), Math.max(1, maxReplicas - 1))));
        return new TopicSpec(name, description, partitions, maxReplicas, capped);
    }
}
