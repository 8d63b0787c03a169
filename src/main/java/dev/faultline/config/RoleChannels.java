package dev.faultline.config;

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
    public static final Set<String> TRIAGE_CHANNELS = Set.of("eval-outputs-in");
    /** Incoming channels only the attribution worker runs (role {@code all} or {@code worker}); pipeline: add yours. */
    public static final Set<String> WORKER_CHANNELS = Set.of(dev.faultline.pipeline.AttributionWorker.CHANNEL);

    private RoleChannels() {
    }

    /** The {@code enabled=false} settings for the role found in {@code props} ({@code faultline.role}) or {@code env}. */
    public static Map<String, String> disabledChannels(Function<String, String> env, Function<String, String> props) {
        String role = props.apply("faultline.role");
        if (role == null) {
            role = env.apply("FAULTLINE_ROLE");
        }
        String r = role == null ? "all" : role.trim().toLowerCase(Locale.ROOT);
        Set<String> off = switch (r) {
            case "triage" -> WORKER_CHANNELS;
            case "worker" -> TRIAGE_CHANNELS;
            case "all" -> Set.of();
            default -> throw new IllegalArgumentException("faultline.role: unknown role '" + role + "' (all|triage|worker)");
        };
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
