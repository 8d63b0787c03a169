package dev.faultline.store;

import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Training order of a model's revisions: by {@code model.step} when events gave one, else by the number in the
 * revision name ({@code step1000}, {@code step_0500}, {@code ckpt-3}), else by first appearance: a revision with
 * neither step nor number sorts right after the revision that appeared just before it (so {@code main}, seen first,
 * comes first). The tracker's {@code tracking.Revision} orders by the same rule (these functions), so the checkpoint
 * page's tables agree with the trajectories.
 */
public final class RevisionOrder {

    private static final Pattern NUMBER = Pattern.compile("(\\d+)(?!.*\\d)");

    /** What is known of one revision. */
    public record Revision(String name, Long step, long firstSeen) {

        /** The ordering key: the step, else the last number in the name, else null. */
        public Long key() {
            return orderStep(name, step);
        }
    }

    private RevisionOrder() {}

    /** Sorts revisions into training order by {@link #rankAfter}. */
    public static List<Revision> sorted(List<Revision> revisions) {
        List<Revision> bySeen = revisions.stream()
                .sorted(Comparator.comparingLong(Revision::firstSeen))
                .toList();
        Map<Revision, Double> rank = new IdentityHashMap<>();
        Double previous = null;
        for (Revision r : bySeen) {
            previous = rankAfter(r.key(), previous);
            rank.put(r, previous);
        }
        return bySeen.stream()
                .sorted(Comparator.<Revision>comparingDouble(rank::get).thenComparingLong(Revision::firstSeen))
                .toList();
    }

    /** The number a revision name carries (its last run of digits), or null: {@code step_0500} gives 500. */
    public static Long nameNumber(String name) {
        if (name == null) {
            return null;
        }
        Matcher m = NUMBER.matcher(name);
        if (!m.find()) {
            return null;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The sort key of a revision whose order step ({@link #orderStep}) is {@code orderStep}: that step when known,
     * else just after {@code previousRank}, the rank of the revision that appeared just before it (null when it is
     * the first: then before every numbered revision).
     */
    public static double rankAfter(Long orderStep, Double previousRank) {
        if (orderStep != null) {
            return orderStep;
        }
        return (previousRank == null ? -1.0 : previousRank) + 1e-6;
    }

    /** The step to order by: the event's step, else the name's number, else null. */
    public static Long orderStep(String name, Long step) {
        return step != null ? step : nameNumber(name);
    }
}
