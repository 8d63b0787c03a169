package dev.faultline.pipeline;

import dev.faultline.config.FaultlineConfig;
import dev.faultline.config.RoleChannels;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Enables the Kafka channels of the role in {@code faultline.role} ({@code all} default, {@code triage},
 * {@code worker}) wherever the role is configured (application.properties, env, system property, tests), with the
 * channel sets of {@link dev.faultline.config.RoleChannels} (which {@code FaultlineMain} applies before start-up): a
 * triage process does not consume {@code attribution.jobs}; a worker does not consume {@code eval.outputs}. The
 * values have a low ordinal, so an explicit {@code mp.messaging...enabled} still wins.
 */
public class RoleChannelSource implements ConfigSourceFactory {

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue("faultline.role");
        FaultlineConfig.Role role = value == null || value.getValue() == null
                ? FaultlineConfig.Role.ALL
                : FaultlineConfig.Role.parse(value.getValue());
        Map<String, String> props = new HashMap<>();
        RoleChannels.channelsOff(role).forEach(c -> props.put("mp.messaging.incoming." + c + ".enabled", "false"));
        return List.of(new MapBackedConfigSource("faultline-role-channels", props, 60) {});
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(60);
    }
}
