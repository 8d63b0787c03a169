package dev.faultline.tracking;

import java.time.Duration;
import java.util.List;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Tracked failure sets and their re-attribution at later revisions ({@code faultline.tracking.*}). */
@ConfigMapping(prefix = "faultline.tracking")
public interface TrackingConfig {

    /** Whether failures are tracked and re-attributed at all. */
    @WithDefault("true")
    boolean enabled();

    /**
     * Result statuses whose failures join the tracked set. Default: ATTRIBUTED and LOW_LOGIT_DIFF, i.e. every failure
     * with a wrong/contrast pair (a LOW_LOGIT_DIFF failure is still wrong, and its preference for the wrong token can
     * grow at later revisions; tinystories-cloze/186 of CHECKPOINTS.md regresses from such a start).
     */
    @WithDefault("ATTRIBUTED,LOW_LOGIT_DIFF")
    List<String> statuses();

    /** Which failures join: {@code all}, the {@code first} max-per-benchmark in topic order, or a seeded {@code sample}. */
    @WithDefault("all")
    String policy();

    /** Most tracked failures per (model, benchmark) for the first and sample policies. */
    @WithDefault("500")
    int maxPerBenchmark();

    /** Seed of the sample policy (the set kept is the max-per-benchmark event ids of smallest seeded hash). */
    @WithDefault("0")
    long seed();

    /** Register every revision folder found on disk under the models dir at startup (for models with tracked sets). */
    @WithDefault("false")
    boolean discoverOnStartup();

    /** How long the worker must have been idle of live jobs before a re-attribution job starts. */
    @WithDefault("20ms")
    Duration liveGrace();

    /** Most re-attribution jobs waiting; more are dropped with a warning (a later trigger re-schedules them). */
    @WithDefault("100000")
    int backlogCapacity();
}
