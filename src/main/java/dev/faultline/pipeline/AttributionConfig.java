package dev.faultline.pipeline;

import dev.faultline.config.ConfigConverters;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** How failures are attributed: pair selection thresholds and engine settings ({@code faultline.attribution.*}). */
@ConfigMapping(prefix = "faultline.attribution")
public interface AttributionConfig {

    /** Failures with logit(wrong) - logit(contrast) at or below this are skipped as LOW_LOGIT_DIFF (paper: 1.0). */
    @WithDefault("1.0")
    double minLogitDiff();

    /** When set, contrasts ranked worse than this (1-based, among all tokens) are skipped as NO_CONTRAST. */
    Optional<Integer> maxContrastRank();

    /** attnlrp or gradxinput. */
    @WithDefault("attnlrp")
    @WithConverter(ConfigConverters.MethodConverter.class)
    Method method();

    /** Softmax rule: attnlrp or detach. */
    @WithDefault("attnlrp")
    @WithConverter(ConfigConverters.SoftmaxRuleConverter.class)
    SoftmaxRule softmax();

    /** k of the faithfulness perturbation check; 0 skips it. */
    @WithDefault("5")
    int faithfulnessK();

    /** An attribution is informative when drop(top-k) - drop(random k) exceeds this. */
    @WithDefault("0.0")
    double faithfulnessMargin();

    /** Top tokens by logit reported at the target position. */
    @WithDefault("10")
    int topK();

    /** Most relevant tokens reported in top_positive / top_negative. */
    @WithDefault("10")
    int topRelevant();

    /**
     * Attempts at one event's attribution (counted in Redis before each runs, {@link JobAttempts}); a job delivered
     * again after this many attempts that did not finish (the worker's JVM died) gets a FAILED result and goes to
     * {@code attribution.jobs.dlq}.
     */
    @WithDefault("3")
    int maxAttempts();

    /**
     * Fault injection for the crash tests: the worker halts its JVM (exit 137, no shutdown hooks, as SIGKILL or the
     * kernel's OOM killer would) when it is about to attribute the event with this id. Never set in production.
     */
    Optional<String> haltOnEvent();

    /** Jobs a worker accepts ahead of the one running (the bounded queue in front of the engine). */
    @WithDefault("64")
    int queueCapacity();

    /**
     * S, the shards of one model revision's jobs on {@code attribution.jobs} (key {@code model@revision#shard}, shard
     * = hash(event_id) mod S; {@link JobKeys}): a run spreads over min(S, partitions) partitions, and so workers,
     * while each worker loads only the models of its partitions. S = the partition count spreads a run widest; a
     * smaller S keeps a model on fewer workers (fewer loads when many models are in flight).
     */
    @WithDefault("8")
    int jobShards();

    /** Longest input (tokens) attributed; the model's max positions when unset. */
    Optional<Integer> maxInputTokens();

    /**
     * libtorch intra-op threads of this process (env FAULTLINE_ATTRIBUTION_THREADS; set it per role: a worker pod
     * gets the cores of its CPU limit). Unset: the cores available to the JVM (container-aware).
     */
    Optional<Integer> threads();

    /**
     * Jobs of one model and rules a worker attributes in one padded pass when they are queued together (the engine's
     * {@code attributeBatch}: the same results as one pass each). 1 = one pass per job. Batches stay within
     * {@link #maxPassBytes()}, so long inputs make smaller batches (down to one). The worker then prepares up to this
     * many jobs at once (contrast search, cache look-up), so that their attributions meet in the engine's queue.
     */
    @WithDefault("8")
    int batchSize();

    /**
     * The most memory one attribution pass may take beyond the weights (bytes); a longer input gets INPUT_TOO_LONG
     * with the estimate (engine {@code PassMemory}). Default: 40 % of the memory the JVM sees (the weights' budget,
     * faultline.models.max-bytes, defaults to half).
     */
    Optional<Long> maxPassBytes();
}
