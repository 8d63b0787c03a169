package dev.faultline.triage;

import dev.faultline.contract.EvalOutput;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Where the scored answer lies in the model's whole response, found the way the scoring took it:
 * <ul>
 * <li>{@code extracted_answer} (a harness filter's pick): lm-eval's regex filters take {@code findall(...)[group_select]}
 * - the first match for answer-marker patterns ({@code "#### (...)"}, {@code "The answer is (...)"}), the last match
 * for the flexible number pattern. So the answer right after the first answer marker that it follows wins; without a
 * marker, the start of the response when it opens with the answer (first-word filters), else the last occurrence of
 * the answer that is not part of a longer number or word.</li>
 * <li>{@code regex} scoring: the pattern's first match (group 1 when present), as triage scores it.</li>
 * <li>{@code numeric}: the last number; {@code choice}: the stated letter.</li>
 * </ul>
 * Other methods compare the whole output and have no span.
 */
public final class AnswerLocator {

    /** Phrases after which answer-marker filters take the answer (GSM8K strict-match, chain-of-thought variants). */
    private static final List<String> MARKERS = List.of("####", "The answer is", "the answer is", "Answer:", "answer:");
    /** What lm-eval writes when a filter found nothing. */
    private static final String INVALID = "[invalid]";

    private AnswerLocator() {}

    /**
     * A located answer: {@code span} (characters {@code [start, end)} of the output), or {@code reason} when the event
     * has an answer that cannot be found in the output; both null when the scoring has no answer span.
     */
    public record Location(int[] span, String reason) {

        static final Location NONE = new Location(null, null);

        public boolean unlocatable() {
            return span == null && reason != null;
        }

        public int start() {
            return span[0];
        }

        public int end() {
            return span[1];
        }
    }

    public static Location locate(EvalOutput event, String output) {
        String extracted = event.extractedAnswer();
        if (extracted != null) {
            return locateExtracted(extracted, output);
        }
        String method = event.scoring() == null ? null : event.scoring().method();
        if (method == null) {
            return Location.NONE;
        }
        switch (method.toLowerCase(java.util.Locale.ROOT)) {
            case "regex" -> {
                String source = event.scoring().pattern();
                if (source == null) {
                    return Location.NONE;
                }
                try {
                    Matcher m = Pattern.compile(source).matcher(output);
                    if (!m.find()) {
                        return new Location(null, "scoring.pattern does not match the output: no answer to locate");
                    }
                    boolean group = m.groupCount() >= 1 && m.start(1) >= 0;
                    return new Location(new int[] {group ? m.start(1) : m.start(), group ? m.end(1) : m.end()}, null);
                } catch (PatternSyntaxException e) {
                    return Location.NONE;
                }
            }
            case "numeric" -> {
                int[] span = AnswerExtraction.lastNumberSpan(output);
                return span == null
                        ? new Location(null, "the output holds no number: no answer to locate")
                        : new Location(span, null);
            }
            case "choice" -> {
                int[] span = AnswerExtraction.choiceLetterSpan(output);
                return span == null ? Location.NONE : new Location(span, null);
            }
            default -> {
                return Location.NONE;
            }
        }
    }

    static Location locateExtracted(String extracted, String output) {
        String answer = extracted.strip();
        if (answer.isEmpty() || answer.equals(INVALID)) {
            return new Location(
                    null, "the harness filter found no answer in the output (extracted_answer '" + extracted + "')");
        }
        for (String marker : MARKERS) {
            for (int at = output.indexOf(marker); at >= 0; at = output.indexOf(marker, at + 1)) {
                int i = at + marker.length();
                while (i < output.length() && (Character.isWhitespace(output.charAt(i)) || output.charAt(i) == ':')) {
                    i++;
                }
                if (output.startsWith(answer, i)) {
                    return new Location(new int[] {i, i + answer.length()}, null);
                }
                if (i < output.length() && output.charAt(i) == '$' && output.startsWith(answer, i + 1)) {
                    return new Location(new int[] {i + 1, i + 1 + answer.length()}, null);
                }
            }
        }
        int lead = 0;
        while (lead < output.length() && Character.isWhitespace(output.charAt(lead))) {
            lead++;
        }
        if (output.startsWith(answer, lead)) {
            // first-word and whole-response filters: the answer opens the response
            return new Location(new int[] {lead, lead + answer.length()}, null);
        }
        int fallback = -1;
        for (int at = output.lastIndexOf(answer); at >= 0; at = at == 0 ? -1 : output.lastIndexOf(answer, at - 1)) {
            if (fallback < 0) {
                fallback = at;
            }
            if (standsAlone(output, at, at + answer.length())) {
                return new Location(new int[] {at, at + answer.length()}, null);
            }
        }
        if (fallback >= 0) {
            return new Location(new int[] {fallback, fallback + answer.length()}, null);
        }
        return new Location(null, "the extracted answer '" + extracted + "' does not occur in the output");
    }

    /** Not inside a longer number or word: no letter or digit right before, no digit right after. */
    private static boolean standsAlone(String s, int start, int end) {
        boolean before = start > 0
                && Character.isLetterOrDigit(s.charAt(start - 1))
                && Character.isLetterOrDigit(s.charAt(start));
        boolean after = end < s.length() && Character.isDigit(s.charAt(end)) && Character.isDigit(s.charAt(end - 1));
        return !before && !after;
    }
}
