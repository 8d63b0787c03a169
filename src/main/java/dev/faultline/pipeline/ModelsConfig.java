package dev.faultline.pipeline;

import dev.faultline.config.ConfigConverters;
import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

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

    /**
     * The model-memory budget: most weight bytes kept loaded at once. A checkpoint whose weights alone exceed it is
     * refused before loading ({@code MODEL_UNAVAILABLE} with both sizes). Default: half of the memory this process
     * can see (the container's limit where there is one), {@link #defaultMaxBytes()}.
     */
    Optional<Long> maxBytes();

    /** Half of the physical memory the JVM sees (container-aware). */
    static long defaultMaxBytes() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getTotalMemorySize() > 0) {
            return sun.getTotalMemorySize() / 2;
        }
        return 4L << 30;
    }

    /** How long a model that failed to load is reported unavailable before the next load attempt. */
    @WithDefault("60s")
    Duration retryAfter();

    /** dtype the weights are cast to: float32, float64 or float16. */
    @WithDefault("float32")
    @WithConverter(ConfigConverters.DTypeConverter.class)
    DType dtype();

    /** cpu or gpu. */
    @WithDefault("cpu")
    @WithConverter(ConfigConverters.DeviceConverter.class)
    Device device();

    /**
     * Per-model compute settings by model name, over the defaults above, e.g.
     * {@code faultline.models.model."qwen3-8b".device=gpu} and {@code ...dtype=float16}.
     */
    Map<String, PerModel> model();

    /** One model's compute settings; an unset one is the default. */
    interface PerModel {
        /** float32, float64 or float16. */
        Optional<@WithConverter(ConfigConverters.DTypeConverter.class) DType> dtype();

        /** cpu or gpu. */
        Optional<@WithConverter(ConfigConverters.DeviceConverter.class) Device> device();
    }

    /** The dtype {@code model} computes in. */
    default DType dtypeOf(String model) {
        PerModel p = model == null ? null : model().get(model);
        return p == null ? dtype() : p.dtype().orElse(dtype());
    }

    /** The device {@code model} runs on. */
    default Device deviceOf(String model) {
        PerModel p = model == null ? null : model().get(model);
        return p == null ? device() : p.device().orElse(device());
    }
}
