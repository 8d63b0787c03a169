package dev.faultline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.pipeline.AttributionConfig;
import dev.faultline.pipeline.EngineConfig;
import dev.faultline.pipeline.ModelsConfig;
import dev.faultline.testing.ChildJvm;
import dev.faultline.tracking.SetPolicy;
import dev.faultline.tracking.TrackingConfig;
import dev.faultline.triage.ScoringMethod;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The enum-valued settings are converted and checked when the configuration is built (as Quarkus does at start-up),
 * with the spellings the deployment files use; an unknown value fails with a message naming the allowed values.
 */
class TypedConfigTest {

    @TempDir
    Path tmp;

    private static SmallRyeConfig config(Map<String, String> values) {
        return new SmallRyeConfigBuilder()
                .withMapping(FaultlineConfig.class)
                .withMapping(AttributionConfig.class)
                .withMapping(ModelsConfig.class)
                .withMapping(TrackingConfig.class)
                .withMapping(EngineConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter()) // Quarkus's "20ms", "60s"
                .withSources(new MapBackedConfigSource("test", values, 500) {})
                .build();
    }

    @Test
    void defaultsAreTyped() {
        SmallRyeConfig c = config(Map.of());
        assertThat(c.getConfigMapping(FaultlineConfig.class).role()).isEqualTo(FaultlineConfig.Role.ALL);
        assertThat(c.getConfigMapping(FaultlineConfig.class).triage().defaultMethod())
                .isEqualTo(ScoringMethod.NORMALIZED);
        AttributionConfig a = c.getConfigMapping(AttributionConfig.class);
        assertThat(a.method()).isEqualTo(Method.ATTNLRP);
        assertThat(a.softmax()).isEqualTo(SoftmaxRule.ATTNLRP);
        ModelsConfig m = c.getConfigMapping(ModelsConfig.class);
        assertThat(m.dtypeOf("any")).isEqualTo(DType.FLOAT32);
        assertThat(m.deviceOf("any")).isEqualTo(Device.CPU);
        TrackingConfig t = c.getConfigMapping(TrackingConfig.class);
        assertThat(t.policy()).isEqualTo(SetPolicy.Kind.ALL);
        assertThat(t.statuses()).containsExactly(AttributionStatus.ATTRIBUTED, AttributionStatus.LOW_LOGIT_DIFF);
        assertThat(c.getConfigMapping(EngineConfig.class).options().scoreChunkBytes())
                .isEqualTo(16L << 20);
    }

    @Test
    void lowerCaseValuesAndAliasesAsInTheDeploymentFiles() {
        Map<String, String> v = new HashMap<>();
        v.put("faultline.role", "worker");
        v.put("faultline.triage.default-method", "exact");
        v.put("faultline.attribution.method", "gxi");
        v.put("faultline.attribution.softmax", "detach");
        v.put("faultline.models.dtype", "fp64");
        v.put("faultline.models.device", "cuda");
        v.put("faultline.models.model.\"qwen3-8b\".dtype", "float16");
        v.put("faultline.models.model.\"qwen3-8b\".device", "cpu");
        v.put("faultline.models.model.tiny.device", "GPU");
        v.put("faultline.tracking.policy", "sample");
        v.put("faultline.tracking.statuses", "attributed, low-logit-diff,NO_CONTRAST");
        v.put("faultline.engine.score-chunk-bytes", "1024");
        SmallRyeConfig c = config(v);
        assertThat(c.getConfigMapping(FaultlineConfig.class).role()).isEqualTo(FaultlineConfig.Role.WORKER);
        assertThat(c.getConfigMapping(FaultlineConfig.class).triage().defaultMethod())
                .isEqualTo(ScoringMethod.EXACT);
        AttributionConfig a = c.getConfigMapping(AttributionConfig.class);
        assertThat(a.method()).isEqualTo(Method.GRADXINPUT);
        assertThat(a.softmax()).isEqualTo(SoftmaxRule.DETACH);
        ModelsConfig m = c.getConfigMapping(ModelsConfig.class);
        assertThat(m.dtypeOf("qwen3-8b")).isEqualTo(DType.FLOAT16);
        assertThat(m.deviceOf("qwen3-8b")).isEqualTo(Device.CPU);
        assertThat(m.dtypeOf("tiny")).isEqualTo(DType.FLOAT64);
        assertThat(m.deviceOf("tiny")).isEqualTo(Device.GPU);
        assertThat(m.dtypeOf("other")).isEqualTo(DType.FLOAT64);
        assertThat(m.deviceOf("other")).isEqualTo(Device.GPU);
        assertThat(m.dtypeOf(null)).isEqualTo(DType.FLOAT64);
        TrackingConfig t = c.getConfigMapping(TrackingConfig.class);
        assertThat(t.policy()).isEqualTo(SetPolicy.Kind.SAMPLE);
        assertThat(t.statuses())
                .containsExactly(
                        AttributionStatus.ATTRIBUTED, AttributionStatus.LOW_LOGIT_DIFF, AttributionStatus.NO_CONTRAST);
        assertThat(c.getConfigMapping(EngineConfig.class).options().scoreChunkBytes())
                .isEqualTo(1024);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "faultline.role|wrokr|faultline.role must be all, triage or worker, got 'wrokr'",
                "faultline.attribution.method|attnlpr|method must be attnlrp or gradxinput, got 'attnlpr'",
                "faultline.attribution.softmax|soft|softmax must be attnlrp or detach, got 'soft'",
                "faultline.models.dtype|float33|dtype must be float32, float64 or float16, got 'float33'",
                "faultline.models.device|tpu|device must be cpu or gpu, got 'tpu'",
                "faultline.models.model.big.dtype|bf16|bfloat16 compute is not available",
                "faultline.models.model.big.device|gpu0|device must be cpu or gpu, got 'gpu0'",
                "faultline.tracking.policy|newest|faultline.tracking.policy must be all, first or sample, got 'newest'",
                "faultline.tracking.statuses|ATTRIBUTED,DONE|status must be one of ATTRIBUTED, ",
                "faultline.triage.default-method|fuzzy|scoring method must be one of exact, normalized, numeric, choice",
            })
    void anUnknownValueFailsTheWholeConfigurationNamingTheAllowedValues(String key, String value, String message) {
        assertThatThrownBy(() -> config(Map.of(key, value)))
                .hasMessageContaining(key)
                .hasMessageContaining(message);
    }

    /**
     * The jar's entry point, in a child JVM, refuses to start the service for an unknown role (system property or
     * environment), before anything is started: exit code 2 and the allowed roles on stderr.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"property", "environment"})
    void theServiceDoesNotStartWithAnUnknownRole(String how) throws IOException, InterruptedException {
        ChildJvm.Builder child = ChildJvm.main("dev.faultline.cli.FaultlineMain", "serve")
                .withoutEnv("FAULTLINE_ROLE")
                .log(tmp.resolve(how + ".log"));
        if (how.equals("property")) {
            child.property("faultline.role", "wrokr");
        } else {
            child.env("FAULTLINE_ROLE", "wrokr");
        }
        try (ChildJvm p = child.start()) {
            boolean done = p.waitFor(Duration.ofSeconds(60));
            String output = p.output();
            assertThat(done).as("exited; output: %s", output).isTrue();
            assertThat(p.exitValue()).as(output).isEqualTo(2);
            assertThat(output)
                    .contains("faultline.role must be all, triage or worker, got 'wrokr'")
                    .doesNotContain("Faultline embedded services");
        }
    }
}
