package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.EvalOutput;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class JobKeysTest {

    static EvalOutput event(String id, String model, String revision) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                id,
                "run",
                new EvalOutput.ModelRef(model, revision, null),
                "b",
                id,
                "p",
                "o",
                List.of("r"),
                null,
                false,
                null,
                null,
                null);
    }

    @Test
    void oneRunOfOneCheckpointCoversEveryPartitionWhenShardsEqualPartitions() {
        int partitions = 12;
        Map<Integer, Integer> perPartition = new HashMap<>();
        for (int i = 0; i < 1200; i++) {
            String key = JobKeys.of(event("run-1:ex-" + i, "olmo", "step1000"), partitions);
            perPartition.merge(JobKeys.partition(key, partitions), 1, Integer::sum);
        }
        assertThat(perPartition).hasSize(partitions);
        // murmur2 of the event id: no partition gets less than half its share
        assertThat(perPartition.values()).allSatisfy(n -> assertThat(n).isGreaterThan(50));
    }

    @Test
    void aModelsShardsAreConsecutivePartitionsSoFewerShardsMeanFewerWorkers() {
        int partitions = 12;
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            used.add(JobKeys.partition(JobKeys.of(event("e" + i, "qwen3", "step5"), 3), partitions));
        }
        assertThat(used).hasSize(3);
        int base = JobKeys.partition("qwen3@step5#0", partitions);
        assertThat(used).containsExactlyInAnyOrder(base, (base + 1) % partitions, (base + 2) % partitions);
    }

    @Test
    void theKeyNamesModelRevisionAndAStableShard() {
        EvalOutput e = event("run-7:ex-3", "olmo", "step1000");
        String key = JobKeys.of(e, 8);
        assertThat(key).startsWith("olmo@step1000#");
        assertThat(key).isEqualTo(JobKeys.of(e, 8));
        assertThat(Integer.parseInt(key.substring(key.indexOf('#') + 1))).isBetween(0, 7);
        assertThat(JobKeys.of(e, 1)).isEqualTo("olmo@step1000#0");
    }

    @Test
    void keysWithoutAShardHashAsAWhole() {
        int p = JobKeys.partition("olmo@step1000", 12);
        assertThat(p).isBetween(0, 11);
        assertThat(JobKeys.partition("olmo@step1000#x", 12)).isBetween(0, 11);
    }

    @Test
    void theProducerPartitionerSendsEachShardToItsPartition() throws Exception {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> infos = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            infos.add(new PartitionInfo("attribution.jobs", i, node, new Node[] {node}, new Node[] {node}));
        }
        Cluster cluster = new Cluster("c", List.of(node), infos, Set.of(), Set.of());
        try (MockProducer<String, String> producer = new MockProducer<>(
                cluster, true, new JobPartitioner(), new StringSerializer(), new StringSerializer())) {
            Set<Integer> partitions = new HashSet<>();
            for (int shard = 0; shard < 6; shard++) {
                int p = producer.send(new ProducerRecord<>("attribution.jobs", "m@main#" + shard, "job"))
                        .get()
                        .partition();
                assertThat(p).isEqualTo(JobKeys.partition("m@main#" + shard, 6));
                partitions.add(p);
            }
            assertThat(partitions).hasSize(6);
        }
    }
}
