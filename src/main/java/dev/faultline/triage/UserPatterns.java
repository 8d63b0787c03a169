package dev.faultline.triage;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles producer-supplied regexes ({@code scoring.pattern}) with RE2/J, whose matching time is linear in the
 * input: no pattern can make a match backtrack exponentially and hold the thread that runs it. RE2 has no
 * backreferences and no lookaround; such patterns are refused with a reason. A bounded cache keeps repeated
 * patterns compiled. Thread-safe.
 */
public final class UserPatterns {

    private static final int MAX_CACHED = 1024;

    /** The outcome of compiling one pattern: the pattern, or the reason it cannot be used. */
    public record Compiled(Pattern pattern, String refusal) {
        public boolean ok() {
            return pattern != null;
        }
    }

    private final Map<String, Compiled> cache = new ConcurrentHashMap<>();

    /** Compiles {@code source}; never throws for a bad pattern. */
    public Compiled compile(String source) {
        Compiled cached = cache.get(source);
        if (cached != null) {
            return cached;
        }
        Compiled compiled;
        try {
            compiled = new Compiled(Pattern.compile(source), null);
        } catch (PatternSyntaxException ex) {
            compiled = new Compiled(null, refusal(source, ex));
        }
        if (cache.size() < MAX_CACHED) {
            cache.putIfAbsent(source, compiled);
        }
        return compiled;
    }

    /**
     * The first match of {@code pattern} in {@code text}, or null. As in {@code java.util.regex}, {@code $} also
     * matches before a final line terminator: when the text ends with one and the pattern does not match the whole
     * text, it is tried once more without that terminator (RE2's {@code $} matches at the very end only). Offsets of
     * the match are offsets in {@code text}.
     */
    public static Matcher find(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (m.find()) {
            return m;
        }
        int cut = text.endsWith("\r\n") ? 2 : text.endsWith("\n") || text.endsWith("\r") ? 1 : 0;
        if (cut == 0) {
            return null;
        }
        Matcher shorter = pattern.matcher(text.substring(0, text.length() - cut));
        return shorter.find() ? shorter : null;
    }

    /** A match that ran past its time budget. */
    public static final class TimeBudgetExceeded extends RuntimeException {
        TimeBudgetExceeded(long budgetNanos) {
            super(String.format(
                    java.util.Locale.ROOT,
                    "scoring.pattern ran past its time budget of %d ms",
                    java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(budgetNanos)));
        }
    }

    /**
     * {@link #find(Pattern, String)} within a time budget, a second guard behind RE2's linear time (a long pattern on
     * a long output is linear and still slow): the matcher reads the text through a view that checks the clock every
     * few thousand characters and throws {@link TimeBudgetExceeded} once the budget is spent.
     */
    public static Matcher find(Pattern pattern, String text, java.time.Duration budget) {
        if (budget == null || budget.isZero() || budget.isNegative()) {
            return find(pattern, text);
        }
        long nanos = budget.toNanos();
        Budgeted view = new Budgeted(text, System.nanoTime() + nanos, nanos);
        Matcher m = pattern.matcher(view);
        if (m.find()) {
            return m;
        }
        int cut = text.endsWith("\r\n") ? 2 : text.endsWith("\n") || text.endsWith("\r") ? 1 : 0;
        if (cut == 0) {
            return null;
        }
        Matcher shorter = pattern.matcher(new Budgeted(text.substring(0, text.length() - cut), view.deadline, nanos));
        return shorter.find() ? shorter : null;
    }

    /** The text as the matcher reads it, with the clock checked every {@value #CHECK_EVERY} reads. */
    private static final class Budgeted implements CharSequence {
        private static final int CHECK_EVERY = 4096;
        private final String text;
        private final long deadline;
        private final long budget;
        private int reads;

        Budgeted(String text, long deadline, long budget) {
            this.text = text;
            this.deadline = deadline;
            this.budget = budget;
        }

        @Override
        public char charAt(int index) {
            if (++reads >= CHECK_EVERY) {
                reads = 0;
                if (System.nanoTime() > deadline) {
                    throw new TimeBudgetExceeded(budget);
                }
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static String refusal(String source, PatternSyntaxException ex) {
        String description = ex.getDescription();
        if (usesUnsupportedFeature(source)) {
            return "scoring.pattern uses syntax the linear-time (RE2) matcher does not support (backreferences, "
                    + "lookaround, possessive or atomic groups): " + description;
        }
        return "scoring.pattern does not compile: " + description;
    }

    /** Whether the pattern uses a backtracking-only construct: a backreference, lookaround or an atomic group. */
    static boolean usesUnsupportedFeature(String source) {
        for (int i = 0; i + 1 < source.length(); i++) {
            char c = source.charAt(i);
            char next = source.charAt(i + 1);
            if (c == '\\') {
                if ((next >= '1' && next <= '9') || next == 'k') {
                    return true;
                }
                i++;
                continue;
            }
            if (c == '(' && next == '?' && i + 2 < source.length()) {
                char kind = source.charAt(i + 2);
                if (kind == '=' || kind == '!' || kind == '>') {
                    return true;
                }
                if (kind == '<'
                        && i + 3 < source.length()
                        && (source.charAt(i + 3) == '=' || source.charAt(i + 3) == '!')) {
                    return true;
                }
            }
            if ((c == '+' || c == '*' || c == '?' || c == '}') && next == '+') {
                return true;
            }
        }
        return false;
    }
}
