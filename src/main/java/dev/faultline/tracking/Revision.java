package dev.faultline.tracking;

import dev.faultline.store.RevisionOrder;
import java.util.Comparator;

/**
 * A model revision and where it sits in training order: its {@code model.step} when events give one, else the number
 * in its name ({@code step1000}, {@code step_0500}, {@code checkpoint-200}), else nothing; {@code seq} is the order of
 * first appearance. {@code rank} is the sort key: the step (or name number) when known, else the rank of the revision
 * that appeared just before it (so {@code main}, seen first without a number, comes first), ties by appearance.
 */
public record Revision(String name, Long step, long seq, double rank) {

    /** Training order: rank, then first appearance. */
    public static final Comparator<Revision> ORDER =
            Comparator.comparingDouble(Revision::rank).thenComparingLong(Revision::seq);

    /** The number a revision name carries (its last run of digits), or null: {@code step_0500} gives 500. */
    public static Long nameNumber(String name) {
        return RevisionOrder.nameNumber(name);
    }

    /** {@link RevisionOrder#rankAfter}: the sort key after {@code previousRank} when {@code orderStep} is null. */
    public static double rankAfter(Long orderStep, Double previousRank) {
        return RevisionOrder.rankAfter(orderStep, previousRank);
    }

    /** The step to order by: the event's step, else the name's number, else null. */
    public static Long orderStep(String name, Long step) {
        return RevisionOrder.orderStep(name, step);
    }
}
