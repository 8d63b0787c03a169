package dev.faultline.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;

/** Kafka producer partitioner of {@code attribution.jobs} ({@code partitioner.class}); see {@link JobKeys}. */
public final class JobPartitioner implements Partitioner {

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        List<PartitionInfo> infos = cluster.partitionsForTopic(topic);
        int n = infos.size();
        if (keyBytes == null) {
            return java.util.concurrent.ThreadLocalRandom.current().nextInt(n);
        }
        return JobKeys.partition(new String(keyBytes, StandardCharsets.UTF_8), n);
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
}
