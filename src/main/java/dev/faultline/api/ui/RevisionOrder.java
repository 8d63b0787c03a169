package dev.faultline.api.ui;

import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
            return step != null ? step : numberIn(name);
        }
    }

    private static final Pattern NUMBER = Pattern.compile("(\\d+)(?!.*\\d)");

    private RevisionOrder() {
    }

    static Long numberIn(String name) {
        if (name == null) {
            return null;
        }
        Matcher m = NUMBER.matcher(name);
        if (!m.find()) {
            return null;
        }
        String digits = m.group(1);
        return digits.length() > 18 ? null : Long.parseLong(digits);
    }

    /** Sorts revisions into training order (see the class comment). */
    public static List<Revision> sorted(List<Revision> revisions) {
        List<Revision> bySeen = revisions.stream().sorted(Comparator.comparingLong(Revision::firstSeen)).toList();
        java.util.Map<Revision, Double> rank = new java.util.IdentityHashMap<>();
        double previous = Double.NEGATIVE_INFINITY;
        for (Revision r : bySeen) {
            Long key = r.key();
            double k = key != null ? key.doubleValue() : previous;
            rank.put(r, k);
            previous = k;
        }
        return bySeen.stream()
                .sorted(Comparator.<Revision>comparingDouble(rank::get).thenComparingLong(Revision::firstSeen))
                .toList();
    }
}
