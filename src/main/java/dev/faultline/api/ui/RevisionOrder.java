package dev.faultline.api.ui;

import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Training order of a model's revisions: by {@code model.step} when events gave one, else by the number in the
 * revision name ({@code step1000}, {@code step_0500}, {@code ckpt-3}), else by first appearance; revisions with
 * neither step nor number (such as {@code main}) come after the ordered ones, in order of first appearance.
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

    public static final Comparator<Revision> TRAINING_ORDER = (a, b) -> {
        Long ka = a.key();
        Long kb = b.key();
        if (ka != null && kb != null && !ka.equals(kb)) {
            return Long.compare(ka, kb);
        }
        if (ka != null && kb == null) {
            return -1;
        }
        if (ka == null && kb != null) {
            return 1;
        }
        return Long.compare(a.firstSeen(), b.firstSeen());
    };

    public static List<Revision> sorted(List<Revision> revisions) {
        return revisions.stream().sorted(TRAINING_ORDER).toList();
    }
}
