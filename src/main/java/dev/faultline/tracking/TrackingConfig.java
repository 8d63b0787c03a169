package dev.faultline.tracking;

import dev.faultline.contract.AttributionStatus;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.spi.Converter;

/** Tracked failure sets and their re-attribution at later revisions ({@code faultline.tracking.*}). */
@ConfigMapping(prefix = "faultline.tracking")
public interface TrackingConfig {

    /** Whether failures are tracked and re-attributed at all. */
    @WithDefault("true")
    boolean enabled();

    /**
     * Result statuses whose failures join the tracked set. Default: ATTRIBUTED and LOW_LOGIT_DIFF, i.e. every failure
     * with a wrong/contrast pair (a LOW_LOGIT_DIFF failure is still wrong, and its preference for the wrong token can
     * grow at later revisions; tinystories-cloze/186 of CHECKPOINTS.md regresses from such a start).
     */
    @WithDefault("ATTRIBUTED,LOW_LOGIT_DIFF")
    List<@WithConverter(StatusConverter.class) AttributionStatus> statuses();

    /** Which failures join: {@code all}, the {@code first} max-per-benchmark in topic order, or a seeded {@code sample}. */
    @WithDefault("all")
    @WithConverter(PolicyConverter.class)
    SetPolicy.Kind policy();

    /** Most tracked failures per (model, benchmark) for the first and sample policies. */
    @WithDefault("500")
    int maxPerBenchmark();

    /** Seed of the sample policy (the set kept is the max-per-benchmark event ids of smallest seeded hash). */
    @WithDefault("0")
    long seed();

    /** Register every revision folder found on disk under the models dir at startup (for models with tracked sets). */
    @WithDefault("false")
    boolean discoverOnStartup();

    /** How long the worker must have been idle of live jobs before a re-attribution job starts. */
    @WithDefault("20ms")
    Duration liveGrace();

    /** Most re-attribution jobs waiting; more are dropped with a warning (a later trigger re-schedules them). */
    @WithDefault("100000")
    int backlogCapacity();

    /**
     * How long a queued (failure, revision) re-attribution blocks another one ({@code faultline:retrack:*} keys): a
     * trigger after that queues it again when its point is still missing.
     */
    @WithDefault("1d")
    Duration claimTtl();

    /** {@code all|first|sample}. */
    final class PolicyConverter implements Converter<SetPolicy.Kind> {
        @Override
        public SetPolicy.Kind convert(String value) {
            return SetPolicy.Kind.parse(value);
        }
    }

    /** A result status by name, case-insensitive ({@code ATTRIBUTED}, {@code low_logit_diff}). */
    final class StatusConverter implements Converter<AttributionStatus> {
        @Override
        public AttributionStatus convert(String value) {
            String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (AttributionStatus s : AttributionStatus.values()) {
                if (s.name().equals(v)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("faultline.tracking.statuses: status must be one of "
                    + Arrays.stream(AttributionStatus.values()).map(Enum::name).collect(Collectors.joining(", "))
                    + ", got '" + value + "'");
        }
    }
}
