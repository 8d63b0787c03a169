package dev.faultline.tracking;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model revision and where it sits in training order: its {@code model.step} when events give one, else the number
 * in its name ({@code step1000}, {@code step_0500}, {@code checkpoint-200}), else nothing; {@code seq} is the order of
 * first appearance. {@code rank} is the sort key: the step (or name number) when known, else the rank of the revision
 * that appeared just before it (so {@code main}, seen first without a number, comes first), ties by appearance.
 */
public record Revision(String name, Long step, long seq, double rank) {

    private static final Pattern NUMBER = Pattern.compile("(\\d+)(?!.*\\d)");

    /** Training order: rank, then first appearance. */
    public static final Comparator<Revision> ORDER = Comparator.comparingDouble(Revision::rank)
            .thenComparingLong(Revision::seq);

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
