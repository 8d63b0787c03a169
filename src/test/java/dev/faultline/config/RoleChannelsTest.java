package dev.faultline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleChannelsTest {

    private static final String EVAL_IN = "mp.messaging.incoming.eval-outputs-in.enabled";
    private static final String JOBS_IN = "mp.messaging.incoming.attribution-jobs.enabled";
    private static final String REQUESTS_IN = "mp.messaging.incoming.attribution-requests.enabled";

    @Test
    void workerDoesNotConsumeEvalOutputs() {
        Map<String, String> env = Map.of("FAULTLINE_ROLE", "worker");
        assertThat(RoleChannels.disabledChannels(env::get, k -> null)).containsExactly(Map.entry(EVAL_IN, "false"));
    }

    @Test
    void triageDoesNotConsumeJobsOrFleetRequestsAndAllConsumesBoth() {
        Map<String, String> props = Map.of("faultline.role", "triage");
        assertThat(RoleChannels.disabledChannels(k -> null, props::get))
                .containsOnly(Map.entry(JOBS_IN, "false"), Map.entry(REQUESTS_IN, "false"));
        assertThat(RoleChannels.disabledChannels(k -> null, k -> null)).isEmpty();
    }

    @Test
    void explicitSettingWinsAndUnknownRoleFails() {
        Map<String, String> props = Map.of("faultline.role", "worker", EVAL_IN, "true");
        assertThat(RoleChannels.disabledChannels(k -> null, props::get)).isEmpty();
        assertThatThrownBy(() -> RoleChannels.disabledChannels(k -> null, Map.of("faultline.role", "gpu")::get))
                .hasMessageContaining("faultline.role");
    }
}
