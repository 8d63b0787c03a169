package dev.faultline.embedded;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What the default run started in-process ({@code faultline.embedded.*}, set by {@code FaultlineMain}). */
@ConfigMapping(prefix = "faultline.embedded")
public interface EmbeddedConfig {

    /** True when the embedded Kafka broker runs (no external Kafka configured): the demo run defaults to it. */
    @WithDefault("false")
    boolean kafka();
}
