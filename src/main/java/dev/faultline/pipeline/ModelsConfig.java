package dev.faultline.pipeline;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The model registry: where checkpoints live and how many stay loaded ({@code faultline.models.*}). */
@ConfigMapping(prefix = "faultline.models")
public interface ModelsConfig {

    /**
     * Directory of Hugging Face checkpoints, {@code <dir>/<name>/} (revision main) or {@code <dir>/<name>/<revision>/};
     * several separated by commas are searched in order; env FAULTLINE_MODELS_DIR. Default {@code models} (relative
     * to the working directory: the repository root, where the bundled demo model lies).
     */
    Optional<String> dir();

    /** Most models kept loaded at once (least recently used is closed first). */
    @WithDefault("2")
    int maxLoaded();

    /** Most weight bytes kept loaded at once; the model in use is kept even when it alone is larger. */
    @WithDefault("4294967296")
    long maxBytes();

    /** How long a model that failed to load is reported unavailable before the next load attempt. */
    @WithDefault("60s")
    Duration retryAfter();

    /** dtype the weights are cast to: float32 or float64. */
    @WithDefault("float32")
    String dtype();

    /** cpu or gpu. */
    @WithDefault("cpu")
    String device();
}
