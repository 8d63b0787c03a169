package dev.faultline.pipeline;

import ai.djl.engine.Engine;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.engine.Device;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.IntSupplier;

/**
 * Refuses to start a process that attributes on a GPU it cannot see: a worker configured for {@code gpu} (by default
 * or for any model) on a machine where libtorch finds no GPU fails at start with a message, instead of running every
 * job on the CPU or answering every job {@code MODEL_UNAVAILABLE}.
 */
@ApplicationScoped
public class DeviceCheck {

    void onStart(@Observes StartupEvent event, FaultlineConfig faultline, ModelsConfig models) {
        check(faultline.role(), models, () -> Engine.getEngine("PyTorch").getGpuCount());
    }

    /** Throws when {@code role} attributes, some model is configured for a GPU, and {@code gpus} reports none. */
    static void check(FaultlineConfig.Role role, ModelsConfig models, IntSupplier gpus) {
        if (!role.attributes()) {
            return;
        }
        TreeSet<String> onGpu = new TreeSet<>();
        if (models.device() == Device.GPU) {
            onGpu.add("faultline.models.device");
        }
        models.model()
                .forEach((name, m) -> m.device()
                        .filter(d -> d == Device.GPU)
                        .ifPresent(d -> onGpu.add("faultline.models.model.\"" + name + "\".device")));
        if (onGpu.isEmpty()) {
            return;
        }
        int count = gpus.getAsInt();
        if (count < 1) {
            throw new IllegalStateException("device gpu is configured (" + String.join(", ", onGpu) + ") for role "
                    + role.name().toLowerCase(Locale.ROOT)
                    + ", but libtorch sees no GPU: is the CUDA build of libtorch "
                    + "installed (docker/Dockerfile.cuda, the Maven profile cuda) and a GPU visible to this container? "
                    + "Set the device to cpu to run on the CPU.");
        }
    }
}
