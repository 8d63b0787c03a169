package dev.faultline.tracking;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Optional;

/**
 * Which failures a tracked set keeps ({@code faultline.tracking.policy}): {@code all}; the {@code first} N in arrival
 * (topic) order; or a seeded {@code sample} of N, kept as the N event ids of smallest seeded hash (bottom-k), so the
 * same set results whatever order the results topic is replayed in.
 */
public final class SetPolicy {

    /** The answer for one candidate: whether it joins, and the member it replaces (sample policy at capacity). */
    public record Admission(boolean admitted, Optional<TrackedFailure> evicted) {
        static final Admission NO = new Admission(false, Optional.empty());
        static final Admission YES = new Admission(true, Optional.empty());
    }

    /** The policies: every failure, the first N, or a seeded sample of N. */
    public enum Kind {
        ALL,
        FIRST,
        SAMPLE;

        /** Parses {@code all} / {@code first} / {@code sample} (case-insensitive). */
        public static Kind parse(String s) {
            String k = s == null ? "" : s.trim().toUpperCase(Locale.ROOT);
            for (Kind kind : values()) {
                if (kind.name().equals(k)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException(
                    "faultline.tracking.policy must be all, first or sample, got '" + s + "'");
        }
    }

    private final Kind policy;
    private final int max;
    private final long seed;

    public SetPolicy(Kind policy, int max, long seed) {
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
        if (max < 1 && policy != Kind.ALL) {
            throw new IllegalArgumentException("faultline.tracking.max-per-benchmark must be at least 1, got " + max);
        }
        this.max = max;
        this.seed = seed;
    }

    /** Whether {@code f} joins {@code set} (event id → member, in joining order); does not change the set. */
    public Admission admit(LinkedHashMap<String, TrackedFailure> set, TrackedFailure f) {
        if (set.containsKey(f.eventId())) {
            return Admission.NO;
        }
        switch (policy) {
            case FIRST:
                return set.size() < max ? Admission.YES : Admission.NO;
            case SAMPLE:
                if (set.size() < max) {
                    return Admission.YES;
                }
                TrackedFailure largest = set.values().stream()
                        .max(Comparator.comparingLong(this::hash))
                        .get();
                return hash(f) < hash(largest) ? new Admission(true, Optional.of(largest)) : Admission.NO;
            default:
                return Admission.YES;
        }
    }

    /** A seeded 64-bit hash of the event id (FNV-1a, then a murmur finaliser). */
    long hash(TrackedFailure f) {
        long h = seed ^ 0xcbf29ce484222325L;
        for (char c : f.eventId().toCharArray()) {
            h = (h ^ c) * 0x100000001B3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}
