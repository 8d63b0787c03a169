package dev.faultline.pipeline;

import dev.faultline.contract.EvalOutput;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Keys of {@code attribution.jobs}: {@code <model>@<revision>#<shard>} with {@code shard = hash(event_id) mod S}
 * ({@code faultline.attribution.job-shards}). {@link JobPartitioner}, the producer's partitioner, puts shard {@code s} of a
 * model on partition {@code (base(model@revision) + s) mod P}: a model's jobs cover exactly {@code min(S, P)}
 * consecutive partitions (hashing the whole key would leave some of them empty and double up others), so one run
 * spreads over {@code min(S, P)} workers while each worker sees only the models whose partition ranges it owns.
 */
public final class JobKeys {

    private JobKeys() {}

    /** The job key of an event under {@code shards} shards (at least 1). */
    public static String of(EvalOutput event, int shards) {
        String model = event.model() == null ? "unknown@main" : event.model().key();
        return model + "#" + shard(event.eventId(), shards);
    }

    /** The shard of an event id: stable across processes (murmur2 of its UTF-8 bytes). */
    public static int shard(String eventId, int shards) {
        if (shards <= 1 || eventId == null) {
            return 0;
        }
        return Utils.toPositive(Utils.murmur2(eventId.getBytes(StandardCharsets.UTF_8))) % shards;
    }

    /** The partition of a job key among {@code partitions}; keys without a shard hash as a whole. */
    public static int partition(String key, int partitions) {
        int hash = key.lastIndexOf('#');
        if (hash < 0) {
            return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
        }
        int shard;
        try {
            shard = Integer.parseInt(key.substring(hash + 1));
        } catch (NumberFormatException e) {
            return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
        }
        int base = Utils.toPositive(Utils.murmur2(key.substring(0, hash).getBytes(StandardCharsets.UTF_8)));
        return (int) ((base + (long) Math.max(0, shard)) % partitions);
    }
}
