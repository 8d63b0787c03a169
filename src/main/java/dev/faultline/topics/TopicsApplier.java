package dev.faultline.topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Brings a cluster in line with a {@link TopicsFile}, idempotently: creates missing topics, sets declared configs that
 * drifted, and only reports what it must not change on its own (partition count, replication factor, undeclared
 * overrides). It never deletes a topic or a config.
 */
public final class TopicsApplier {

    /** What was found (and, unless dry run, done) for one topic. */
    public enum Kind {
        /** Topic missing: created (or would be, in a dry run). */
        CREATE,
        /** Declared config differs from the cluster's: set (or would be). */
        ALTER_CONFIG,
        /** Topic exists with every declared setting. */
        IN_SYNC,
        /** Partition count differs: reported only, as adding partitions remaps keys. */
        PARTITIONS_DIFFER,
        /** Replication factor differs: reported only, a reassignment is an operator's decision. */
        REPLICAS_DIFFER,
        /** A topic-level override that the file does not declare: reported, left alone. */
        UNDECLARED_OVERRIDE
    }

    /** One line of the report. */
    public record Change(String topic, Kind kind, String detail) {
        @Override
        public String toString() {
            return String.format("%-26s %-19s %s", topic, kind, detail);
        }
    }

    /** Everything {@link #apply} found, in topic order. */
    public record Report(List<Change> changes, boolean dryRun) {
        /** True when the run created or altered something (or would have, in a dry run). */
        public boolean changed() {
            return changes.stream().anyMatch(c -> c.kind() == Kind.CREATE || c.kind() == Kind.ALTER_CONFIG);
        }

        /** True when partitions or replication differ from the file: a human must act. */
        public boolean unresolvedDrift() {
            return changes.stream()
                    .anyMatch(c -> c.kind() == Kind.PARTITIONS_DIFFER || c.kind() == Kind.REPLICAS_DIFFER);
        }

        public List<Change> of(Kind kind) {
            return changes.stream().filter(c -> c.kind() == kind).toList();
        }
    }

    private final Admin admin;

    public TopicsApplier(Admin admin) {
        this.admin = admin;
    }

    /** Compares the cluster with {@code file} and, unless {@code dryRun}, creates and alters what differs. */
    public Report apply(TopicsFile file, boolean dryRun) throws InterruptedException, ExecutionException {
        Set<String> existing = admin.listTopics().names().get();
        List<TopicSpec> present =
                file.topics().stream().filter(t -> existing.contains(t.name())).toList();
        Map<String, TopicDescription> descriptions = present.isEmpty()
                ? Map.of()
                : admin.describeTopics(names(present)).allTopicNames().get();
        Map<ConfigResource, Config> configs = present.isEmpty()
                ? Map.of()
                : admin.describeConfigs(present.stream()
                                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name()))
                                .toList())
                        .all()
                        .get();

        List<Change> changes = new ArrayList<>();
        List<NewTopic> toCreate = new ArrayList<>();
        Map<ConfigResource, Collection<AlterConfigOp>> toAlter = new java.util.LinkedHashMap<>();
        for (TopicSpec spec : file.topics()) {
            if (!existing.contains(spec.name())) {
                toCreate.add(
                        new NewTopic(spec.name(), spec.partitions(), (short) spec.replicas()).configs(spec.config()));
                changes.add(new Change(
                        spec.name(),
                        Kind.CREATE,
                        "partitions=" + spec.partitions() + " replicas=" + spec.replicas() + " " + spec.config()));
                continue;
            }
            int before = changes.size();
            TopicDescription d = descriptions.get(spec.name());
            int partitions = d.partitions().size();
            if (partitions != spec.partitions()) {
                changes.add(new Change(
                        spec.name(),
                        Kind.PARTITIONS_DIFFER,
                        "cluster " + partitions + ", declared " + spec.partitions()
                                + " (not changed: keys would move)"));
            }
            int replicas = d.partitions().get(0).replicas().size();
            if (replicas != spec.replicas()) {
                changes.add(new Change(
                        spec.name(),
                        Kind.REPLICAS_DIFFER,
                        "cluster " + replicas + ", declared " + spec.replicas()
                                + " (not changed: reassign partitions)"));
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
            Config actual = configs.get(resource);
            List<AlterConfigOp> ops = new ArrayList<>();
            spec.config().forEach((key, value) -> {
                ConfigEntry entry = actual.get(key);
                String current = entry == null ? null : entry.value();
                if (!value.equals(current)) {
                    ops.add(new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET));
                    changes.add(new Change(spec.name(), Kind.ALTER_CONFIG, key + ": " + current + " -> " + value));
                }
            });
            if (!ops.isEmpty()) {
                toAlter.put(resource, ops);
            }
            for (ConfigEntry entry : actual.entries()) {
                if (entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG
                        && !spec.config().containsKey(entry.name())) {
                    changes.add(new Change(spec.name(), Kind.UNDECLARED_OVERRIDE, entry.name() + "=" + entry.value()));
                }
            }
            if (changes.size() == before) {
                changes.add(
                        new Change(spec.name(), Kind.IN_SYNC, "partitions=" + partitions + " replicas=" + replicas));
            }
        }
        if (!dryRun) {
            if (!toCreate.isEmpty()) {
                admin.createTopics(toCreate).all().get();
            }
            if (!toAlter.isEmpty()) {
                admin.incrementalAlterConfigs(toAlter).all().get();
            }
        }
        return new Report(List.copyOf(changes), dryRun);
    }

    private static List<String> names(List<TopicSpec> specs) {
        return specs.stream().map(TopicSpec::name).collect(Collectors.toList());
    }
}
