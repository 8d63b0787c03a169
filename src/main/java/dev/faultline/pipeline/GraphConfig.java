package dev.faultline.pipeline;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Attribution-graph jobs on request ({@code faultline.graph.*}). */
@ConfigMapping(prefix = "faultline.graph")
public interface GraphConfig {

    /** Most graph jobs waiting in this process's queue; one more is refused (HTTP 429). */
    @WithDefault("8")
    int maxQueued();
}
