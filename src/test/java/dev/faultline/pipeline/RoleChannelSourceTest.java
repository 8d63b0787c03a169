package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.channels.Channels;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** faultline.role switches the Kafka consumers of the other role off; explicit settings still win. */
class RoleChannelSourceTest {

    static SmallRyeConfig config(Map<String, String> props) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(props, "test", 250))
                .withSources(new RoleChannelSource())
                .build();
    }

    static Optional<Boolean> enabled(SmallRyeConfig c, String channel) {
        return c.getOptionalValue("mp.messaging.incoming." + channel + ".enabled", Boolean.class);
    }

    @Test
    void triageRoleDoesNotConsumeJobs() {
        SmallRyeConfig c = config(Map.of("faultline.role", "triage"));
        assertThat(enabled(c, Channels.ATTRIBUTION_JOBS_IN)).contains(false);
        assertThat(enabled(c, "eval-outputs-in")).isEmpty();
    }

    @Test
    void workerRoleDoesNotConsumeEvents() {
        SmallRyeConfig c = config(Map.of("faultline.role", "WORKER"));
        assertThat(enabled(c, "eval-outputs-in")).contains(false);
        assertThat(enabled(c, Channels.ATTRIBUTION_JOBS_IN)).isEmpty();
    }

    @Test
    void allRoleChangesNothingAndExplicitSettingsWin() {
        assertThat(enabled(config(Map.of()), Channels.ATTRIBUTION_JOBS_IN)).isEmpty();
        SmallRyeConfig c = config(Map.of(
                "faultline.role",
                "triage",
                "mp.messaging.incoming." + Channels.ATTRIBUTION_JOBS_IN + ".enabled",
                "true"));
        assertThat(enabled(c, Channels.ATTRIBUTION_JOBS_IN)).contains(true);
    }

    @Test
    void unknownRoleIsRejected() {
        assertThatThrownBy(() -> config(Map.of("faultline.role", "gpu")))
                .hasStackTraceContaining("faultline.role must be");
    }
}
