package dev.faultline.demo;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * The demo run ({@code faultline.demo.*}): the bundled demo model answers held-out addition problems and each answer
 * is published to {@code eval.outputs} at a steady rate. On by default only when the embedded broker runs
 * ({@code faultline.embedded.kafka}); off in the test profile.
 */
@ConfigMapping(prefix = "faultline.demo")
public interface DemoConfig {

    /** Start a demo run on startup (application.properties defaults it to {@code faultline.embedded.kafka}). */
    @WithDefault("false")
    boolean enabled();

    /**
     * Events published per second. About 1 answer in 8 is wrong and 1 wrong answer in 5 has a logit difference above
     * {@code faultline.attribution.min-logit-diff} (the rest are LOW_LOGIT_DIFF): 4/s shows an attributed failure
     * within about 20 s of the run's start.
     */
    @WithDefault("4")
    double rate();

    /** Events per run (400 at 4/s: 100 s, about 12 attributed failures). */
    @WithDefault("400")
    int count();

    /** Start the next run (next problems) when one ends. */
    @WithDefault("false")
    boolean loop();

    /** Model name in the registry ({@code faultline.models.dir}) and in the events. */
    @WithDefault("faultline-demo")
    String model();

    @WithDefault("main")
    String revision();

    /** Seed of the held-out problems of the first run (later runs of a loop add 1 each). */
    @WithDefault("1000004")
    long seed();

    /**
     * Whether {@code /api/demo/runs} exists (404 otherwise). Unset: in the default local run (embedded Kafka) or when
     * {@code faultline.demo.enabled}; never against an external cluster by default.
     */
    Optional<Boolean> endpoints();

    /** Most demo runs queued or running at once; one more is refused with 429. */
    @WithDefault("2")
    int maxRuns();

    /** Largest {@code count} of one run. */
    @WithDefault("10000")
    int maxCount();

    /** Largest {@code rate} of one run, events/s. */
    @WithDefault("200")
    double maxRate();

    /** Answers generated ahead of publishing (small: the engine serialises passes with the attributions). */
    @WithDefault("8")
    int batch();
}
