package dev.faultline.config;

import dev.faultline.triage.ScoringMethod;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.util.Locale;

/**
 * Configuration of the service under {@code faultline.*}; other areas add their own
 * {@code @ConfigMapping(prefix = "faultline.<area>")} interfaces.
 */
@ConfigMapping(prefix = "faultline")
public interface FaultlineConfig {

    /** Which part of the flow this process runs: {@code all} (triage + worker), {@code triage} or {@code worker}. */
    @WithDefault("all")
    @WithConverter(ConfigConverters.RoleConverter.class)
    Role role();

    /** Limits on incoming events (HTTP and Kafka). */
    Ingest ingest();

    /** Answer scoring. */
    Triage triage();

    /** The HTTP API. */
    Api api();

    /** The directory of shared models and data sets ({@code faultline.shared.dir}), where one is present. */
    Shared shared();

    /** Where shared data lives (surefire sets {@code faultline.shared.dir}). */
    interface Shared {

        /** Path of the shared directory; absent in a plain deployment. */
        java.util.Optional<String> dir();
    }

    /** The roles one jar can play. */
    enum Role {
        ALL,
        TRIAGE,
        WORKER;

        /** Parses {@code all} / {@code triage} / {@code worker} (case-insensitive, surrounding blanks ignored). */
        public static Role parse(String s) {
            String r = s == null ? "" : s.trim().toUpperCase(Locale.ROOT);
            for (Role role : values()) {
                if (role.name().equals(r)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("faultline.role must be all, triage or worker, got '" + s + "'");
        }

        /** Whether this role consumes {@code eval.outputs} and scores answers. */
        public boolean triages() {
            return this != WORKER;
        }

        /** Whether this role runs attribution jobs. */
        public boolean attributes() {
            return this != TRIAGE;
        }
    }

    /** Size limits, checked after the JSON Schema; an event over a limit is rejected (HTTP 400 or DLQ). */
    interface Ingest {

        /** Largest whole event in bytes (the raw JSON), checked before parsing. */
        @WithDefault("4194304")
        int maxEventBytes();

        /** Largest {@code prompt} in UTF-8 bytes. */
        @WithDefault("1048576")
        int maxPromptBytes();

        /** Largest {@code output} in UTF-8 bytes. */
        @WithDefault("262144")
        int maxOutputBytes();

        /** Largest number of {@code references}. */
        @WithDefault("64")
        int maxReferences();

        /** Largest single reference, {@code extracted_answer} and {@code error.contrast_text}, in UTF-8 bytes. */
        @WithDefault("65536")
        int maxReferenceBytes();

        /** Most ids in {@code prompt_token_ids}, and separately in {@code output_token_ids}. */
        @WithDefault("262144")
        int maxTokenIds();

        /**
         * Most chat {@code messages}; their contents, reasoning and tool calls together are bounded by
         * {@code max-prompt-bytes}, as is {@code chat_template_kwargs}.
         */
        @WithDefault("1024")
        int maxMessages();
    }

    /** HTTP API settings. */
    interface Api {

        /**
         * How long {@code POST /api/events} waits for the broker to acknowledge an event before answering 503 with
         * {@code Retry-After}.
         */
        @WithDefault("5s")
        java.time.Duration publishTimeout();
    }

    /** Answer scoring settings. */
    interface Triage {

        /** Scoring method for events that name none ({@code exact|normalized|numeric|choice|contains|regex}). */
        @WithDefault("normalized")
        @WithConverter(ConfigConverters.ScoringMethodConverter.class)
        ScoringMethod defaultMethod();

        /**
         * How long one {@code scoring.pattern} match may take (RE2 is linear in the output, but a long pattern on a
         * long output is still slow); past it the event is UNSCORABLE with the reason. 0 turns the guard off.
         */
        @WithDefault("50ms")
        java.time.Duration patternBudget();
    }
}
