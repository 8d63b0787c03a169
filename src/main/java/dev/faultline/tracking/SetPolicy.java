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

    private final String policy;
    private final int max;
    private final long seed;

    public SetPolicy(String policy, int max, long seed) {
        this.policy = policy == null ? "" : policy.trim().toLowerCase(Locale.ROOT);
        if (!this.policy.equals("all") && !this.policy.equals("first") && !this.policy.equals("sample")) {
            throw new IllegalArgumentException("faultline.tracking.policy must be all, first or sample, got '" + policy + "'");
        }
        if (max < 1 && !this.policy.equals("all")) {
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
            case "first":
                return set.size() < max ? Admission.YES : Admission.NO;
            case "sample":
                if (set.size() < max) {
                    return Admission.YES;
                }
                TrackedFailure largest = set.values().stream().max(Comparator.comparingLong(this::hash)).get();
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
