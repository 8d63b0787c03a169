package dev.faultline.pipeline;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Attribution-graph jobs on request ({@code faultline.graph.*}). */
@ConfigMapping(prefix = "faultline.graph")
public interface GraphConfig {

    /**
     * Most graph jobs waiting in this process's queue, and most forwarded to the workers fleet-wide (queued or
     * running); one more is refused (HTTP 429).
     */
    @WithDefault("8")
    int maxQueued();

    /** How long a forwarded job's fleet slot is held at most (a worker that died frees it after this). */
    @WithDefault("1h")
    Duration slotLease();
}
