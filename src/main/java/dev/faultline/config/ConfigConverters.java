package dev.faultline.config;

import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.triage.ScoringMethod;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.spi.Converter;

/**
 * Converters of the enum-valued settings ({@code @WithConverter} in the {@code @ConfigMapping} interfaces). Each
 * calls the enum's own parser, so configuration takes the same spellings as the command line and events (lower case,
 * aliases such as {@code fp64} or {@code cuda}), and a value it does not know fails start-up with a message that
 * names the allowed values.
 */
public final class ConfigConverters {

    private ConfigConverters() {}

    /** {@code all|triage|worker}. */
    public static final class RoleConverter implements Converter<FaultlineConfig.Role> {
        @Override
        public FaultlineConfig.Role convert(String value) {
            return FaultlineConfig.Role.parse(value);
        }
    }

    /** {@code attnlrp|gradxinput}. */
    public static final class MethodConverter implements Converter<Method> {
        @Override
        public Method convert(String value) {
            return Method.parse(value.trim());
        }
    }

    /** {@code attnlrp|detach}. */
    public static final class SoftmaxRuleConverter implements Converter<SoftmaxRule> {
        @Override
        public SoftmaxRule convert(String value) {
            return SoftmaxRule.parse(value.trim());
        }
    }

    /** {@code float32|float64|float16}. */
    public static final class DTypeConverter implements Converter<DType> {
        @Override
        public DType convert(String value) {
            return DType.parse(value.trim());
        }
    }

    /** {@code cpu|gpu}. */
    public static final class DeviceConverter implements Converter<Device> {
        @Override
        public Device convert(String value) {
            return Device.parse(value);
        }
    }

    /** {@code exact|normalized|numeric|choice|contains|regex}. */
    public static final class ScoringMethodConverter implements Converter<ScoringMethod> {
        @Override
        public ScoringMethod convert(String value) {
            ScoringMethod m = ScoringMethod.parse(value);
            if (m == null) {
                throw new IllegalArgumentException(
                        "scoring method must be one of " + names(ScoringMethod.values()) + ", got '" + value + "'");
            }
            return m;
        }
    }

    /** The lower-case names of {@code values}, comma-separated. */
    public static String names(Enum<?>[] values) {
        return Arrays.stream(values).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
