package dev.faultline.config;

import dev.faultline.channels.Channels;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Switches incoming channels off by {@code faultline.role} (env {@code FAULTLINE_ROLE}): a {@code worker} does not
 * consume {@code eval.outputs}, a {@code triage} process does not consume attribution jobs. {@code FaultlineMain}
 * sets {@code mp.messaging.incoming.<channel>.enabled=false} as a system property, before Quarkus starts, for the
 * channels the role does not run, unless that key is set explicitly.
 */
public final class RoleChannels {

    /** Incoming channels only the triage part runs (role {@code all} or {@code triage}). */
    public static final Set<String> TRIAGE_CHANNELS = Set.of(Channels.EVAL_OUTPUTS_IN);
    /** Incoming channels only the attribution worker runs (role {@code all} or {@code worker}). */
    public static final Set<String> WORKER_CHANNELS =
            Set.of(Channels.ATTRIBUTION_JOBS_IN, Channels.ATTRIBUTION_REQUESTS_IN);

    private RoleChannels() {}

    /**
     * The role in {@code props} ({@code faultline.role}) or else {@code env} ({@code FAULTLINE_ROLE}); {@code all}
     * when neither sets it.
     *
     * @throws IllegalArgumentException naming the allowed roles, for an unknown one
     */
    public static FaultlineConfig.Role role(Function<String, String> env, Function<String, String> props) {
        String role = props.apply("faultline.role");
        if (role == null) {
            role = env.apply("FAULTLINE_ROLE");
        }
        return role == null ? FaultlineConfig.Role.ALL : FaultlineConfig.Role.parse(role);
    }

    /** The incoming channels {@code role} does not run. */
    public static Set<String> channelsOff(FaultlineConfig.Role role) {
        return switch (role) {
            case TRIAGE -> WORKER_CHANNELS;
            case WORKER -> TRIAGE_CHANNELS;
            case ALL -> Set.of();
        };
    }

    /** The {@code enabled=false} settings for the role found in {@code props} ({@code faultline.role}) or {@code env}. */
    public static Map<String, String> disabledChannels(Function<String, String> env, Function<String, String> props) {
        Set<String> off = channelsOff(role(env, props));
        Map<String, String> settings = new LinkedHashMap<>();
        for (String channel : off) {
            String key = "mp.messaging.incoming." + channel + ".enabled";
            String envKey = key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
            if (props.apply(key) == null && env.apply(envKey) == null) {
                settings.put(key, "false");
            }
        }
        return settings;
    }
}
