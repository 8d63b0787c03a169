package dev.faultline.pipeline;

import dev.faultline.engine.EngineOptions;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Tuning of the engine's passes that does not change their results ({@code faultline.engine.*}), handed to the model
 * loader as {@link EngineOptions}; like any setting also a system property, e.g.
 * {@code -Dfaultline.engine.score-chunk-bytes=N}.
 */
@ConfigMapping(prefix = "faultline.engine")
public interface EngineConfig {

    /** Largest attention score array (bytes) of one chunk of query rows; 16 MiB by default. */
    @WithDefault("16777216")
    long scoreChunkBytes();

    /** These settings as the engine takes them. */
    default EngineOptions options() {
        return new EngineOptions(scoreChunkBytes());
    }
}
