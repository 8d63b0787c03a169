package dev.faultline.store;

import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training order of a model's revisions: by {@code model.step} when events gave one, else by the number in the
 * revision name ({@code step1000}, {@code step_0500}, {@code ckpt-3}), else by first appearance: a revision with
 * neither step nor number sorts right after the revision that appeared just before it (so {@code main}, seen first,
 * comes first), the same rule as {@link dev.faultline.tracking.Revision}, so the checkpoint page's tables agree.
 */
public final class RevisionOrder {

    /** What is known of one revision. */
    public record Revision(String name, Long step, long firstSeen) {

        /** The ordering key: the step, else the last number in the name, else null. */
        public Long key() {
            return dev.faultline.tracking.Revision.orderStep(name, step);
        }
    }

    private RevisionOrder() {
    }

    /** Sorts revisions into training order with the tracker's rank ({@link dev.faultline.tracking.Revision#rankAfter}). */
    public static List<Revision> sorted(List<Revision> revisions) {
        List<Revision> bySeen = revisions.stream().sorted(Comparator.comparingLong(Revision::firstSeen)).toList();
        Map<Revision, Double> rank = new IdentityHashMap<>();
        Double previous = null;
        for (Revision r : bySeen) {
            previous = dev.faultline.tracking.Revision.rankAfter(r.key(), previous);
            rank.put(r, previous);
        }
        return bySeen.stream()
                .sorted(Comparator.<Revision>comparingDouble(rank::get).thenComparingLong(Revision::firstSeen))
                .toList();
    }
}
