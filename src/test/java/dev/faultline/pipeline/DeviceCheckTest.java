package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.config.FaultlineConfig.Role;
import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A worker configured for a GPU it cannot see fails at start; CPU workers and triage pods start anyway. */
class DeviceCheckTest {

    @Test
    void gpuWorkerWithoutGpuFailsWithTheSettingThatAskedForIt() {
        assertThatThrownBy(() -> DeviceCheck.check(Role.WORKER, models("gpu", Map.of()), () -> 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("faultline.models.device")
                .hasMessageContaining("libtorch sees no GPU")
                .hasMessageContaining("role worker");
        assertThatThrownBy(() -> DeviceCheck.check(Role.ALL, models("cpu", Map.of("qwen3-8b", "gpu")), () -> 0))
                .hasMessageContaining("faultline.models.model.\"qwen3-8b\".device");
    }

    @Test
    void cpuWorkersTriagePodsAndVisibleGpusStart() {
        assertThatCode(() -> DeviceCheck.check(Role.WORKER, models("cpu", Map.of()), () -> 0))
                .doesNotThrowAnyException();
        assertThatCode(() -> DeviceCheck.check(Role.TRIAGE, models("gpu", Map.of()), () -> 0))
                .doesNotThrowAnyException();
        assertThatCode(() -> DeviceCheck.check(Role.WORKER, models("gpu", Map.of()), () -> 1))
                .doesNotThrowAnyException();
    }

    private static ModelsConfig models(String device, Map<String, String> perModel) {
        return new ModelsConfig() {
            public Optional<String> dir() {
                return Optional.empty();
            }

            public int maxLoaded() {
                return 2;
            }

            public Optional<Long> maxBytes() {
                return Optional.empty();
            }

            public Duration retryAfter() {
                return Duration.ofSeconds(60);
            }

            public DType dtype() {
                return DType.FLOAT32;
            }

            public Device device() {
                return Device.parse(device);
            }

            public Map<String, PerModel> model() {
                Map<String, PerModel> m = new java.util.HashMap<>();
                perModel.forEach((name, d) -> m.put(name, new PerModel() {
                    public Optional<DType> dtype() {
                        return Optional.empty();
                    }

                    public Optional<Device> device() {
                        return Optional.of(Device.parse(d));
                    }
                }));
                return m;
            }
        };
    }
}
