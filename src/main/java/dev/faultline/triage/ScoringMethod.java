package dev.faultline.triage;

import java.util.Locale;

/** How an output is compared with its references ({@code scoring.method} of the v1 event). */
public enum ScoringMethod {
    /** Output equals a reference after trimming leading/trailing whitespace. */
    EXACT,
    /** SQuAD-style: equal after lower-casing and removing punctuation, articles and extra whitespace. */
    NORMALIZED,
    /** The last number in the output equals the reference number (GSM8K {@code #### 72} references). */
    NUMERIC,
    /** The multiple-choice letter extracted from the output equals the reference letter. */
    CHOICE,
    /** The normalized output contains a normalized reference as a whole-word sequence. */
    CONTAINS,
    /** {@code scoring.pattern} extracts the answer (group 1, else group 0), compared after normalisation. */
    REGEX;

    /** Parses {@code exact|normalized|...} (case-insensitive); null when unknown. */
    public static ScoringMethod parse(String name) {
        if (name == null) {
            return null;
        }
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The name used in events and configuration. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
