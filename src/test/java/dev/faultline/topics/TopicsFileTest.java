package dev.faultline.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The declarative topic file: contents the service relies on, validation of bad files, and the Strimzi copy in sync. */
class TopicsFileTest {

    static final TopicsFile FILE = TopicsFile.load(Path.of(TopicsFile.DEFAULT_PATH));

    @Test
    void declaresEveryTopicTheServiceUses() {
        assertThat(FILE.names())
                .containsExactlyInAnyOrder(
                        "eval.outputs",
                        "eval.outputs.dlq",
                        "attribution.jobs",
                        "attribution.jobs.dlq",
                        "attribution.results",
                        "attribution.graphs",
                        "attribution.trajectories",
                        "attribution.requests");
    }

    @Test
    void recordTopicsAreCompactedAndStreamsAreNot() {
        for (String compacted :
                new String[] {"attribution.results", "attribution.graphs", "attribution.trajectories"}) {
            assertThat(FILE.topic(compacted).config()).containsEntry("cleanup.policy", "compact");
        }
        for (String stream : new String[] {
            "eval.outputs", "eval.outputs.dlq", "attribution.jobs", "attribution.jobs.dlq", "attribution.requests"
        }) {
            assertThat(FILE.topic(stream).config())
                    .containsEntry("cleanup.policy", "delete")
                    .containsKey("retention.ms");
        }
    }

    @Test
    void minInsyncReplicasLeavesRoomForOneBrokerDown() {
        for (TopicSpec t : FILE.topics()) {
            assertThat(Integer.parseInt(t.config().get("min.insync.replicas")))
                    .as(t.name())
                    .isLessThan(t.replicas());
        }
    }

    @Test
    void bundledCopyInTheJarIsTheSameFile() {
        assertThat(TopicsFile.bundled()).isEqualTo(FILE);
    }

    @Test
    void strimziResourcesAreGeneratedFromTheFile() throws IOException {
        Path k8s = Path.of("k8s/strimzi/kafka-topics.yaml");
        assertThat(Files.readString(k8s))
                .as(
                        "k8s/strimzi/kafka-topics.yaml is stale: regenerate with"
                                + " `java -jar target/quarkus-app/quarkus-run.jar topics strimzi > k8s/strimzi/kafka-topics.yaml`")
                .isEqualTo(StrimziTopics.render(FILE, StrimziTopics.DEFAULT_CLUSTER));
    }

    @Test
    void duplicateTopicIsRejected() {
        assertThatThrownBy(() -> parse(
                        "topics:\n- {name: a, partitions: 1, replicas: 1}\n- {name: a, partitions: 2, replicas: 1}\n"))
                .hasMessageContaining("declared twice: a");
    }

    @Test
    void missingPartitionsIsRejectedWithItsPlace() {
        assertThatThrownBy(() -> parse("topics:\n- {name: a, replicas: 1}\n"))
                .hasMessageContaining("topics[0]")
                .hasMessageContaining("'partitions'");
    }

    @Test
    void unknownCleanupPolicyIsRejected() {
        assertThatThrownBy(() -> parse(
                        "topics:\n- {name: a, partitions: 1, replicas: 1, config: {cleanup.policy: compacted}}\n"))
                .hasMessageContaining("cleanup.policy");
    }

    @Test
    void replicasCapKeepsMinInsyncBelowIt() {
        TopicSpec capped = FILE.topic("attribution.results").withMaxReplicas(2);
        assertThat(capped.replicas()).isEqualTo(2);
        assertThat(capped.config()).containsEntry("min.insync.replicas", "1");
    }

    @Test
    void cliPrintsTheStrimziResourcesAndRejectsAnUnknownSubcommand() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = TopicsCommand.run(
                new String[] {"strimzi", "--cluster", "my-kafka"},
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("strimzi.io/cluster: my-kafka", "topicName: attribution.results")
                .isEqualTo(StrimziTopics.render(FILE, "my-kafka"));
        assertThat(dev.faultline.cli.Commands.run("topics", "delete")).isEqualTo(2);
        assertThat(dev.faultline.cli.Commands.run(
                        "topics", "apply", "--file", "no/such/topics.yaml", "--bootstrap", "x:1"))
                .isEqualTo(2);
    }

    private static TopicsFile parse(String yaml) throws IOException {
        return TopicsFile.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test");
    }
}
