package dev.faultline.triage;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Pulls a comparable answer out of free text: the last number (GSM8K style) or a multiple-choice letter. */
public final class AnswerExtraction {

    private AnswerExtraction() {}

    /**
     * A number: optional sign (not after a letter or digit, so {@code 2023-11} is two positive numbers), optional
     * currency sign, digits with optional thousands separators ({@code 1,234}) and an optional fraction.
     */
    private static final Pattern NUMBER =
            Pattern.compile("(?<![\\w.])(-)?[$€£]?\\s?(\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?|\\.\\d+)");

    /** "answer is (B)", "Answer: B", "answer: (b)" - an explicit statement wins. */
    private static final Pattern ANSWER_PHRASE =
            Pattern.compile("(?i:answer)(?:\\s+(?i:is))?\\s*[:：]?\\s*[\\(\\[]?([A-J])[\\)\\]]?(?![A-Za-z0-9])");
    /** The whole output is a letter, possibly "(B)", "B.", "B)" or "B: text". */
    private static final Pattern LEADING_LETTER =
            Pattern.compile("^\\s*[\\(\\[]?([A-J])(?:[\\)\\]\\.:](?:\\s|$)|\\s*$)");
    /** "(B)" anywhere. */
    private static final Pattern PAREN_LETTER = Pattern.compile("[\\(\\[]([A-J])[\\)\\]]");
    /** A reference letter: "B", "(B)", "b". */
    private static final Pattern REFERENCE_LETTER = Pattern.compile("^\\s*[\\(\\[]?([A-Ja-j])[\\)\\]\\.]?\\s*$");

    /** The last number in {@code text}, or null when there is none. */
    public static BigDecimal lastNumber(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = NUMBER.matcher(text);
        String sign = null;
        String digits = null;
        while (m.find()) {
            sign = m.group(1);
            digits = m.group(2);
        }
        return digits == null ? null : toNumber(sign, digits);
    }

    /** Characters {@code [start, end)} of the last number in {@code text} (sign included), or null. */
    public static int[] lastNumberSpan(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = NUMBER.matcher(text);
        int[] span = null;
        while (m.find()) {
            span = new int[] {m.start(1) >= 0 ? m.start(1) : m.start(2), m.end(2)};
        }
        return span;
    }

    /** Characters {@code [start, end)} of the letter {@link #choiceLetter} takes from {@code output}, or null. */
    public static int[] choiceLetterSpan(String output) {
        if (output == null) {
            return null;
        }
        Matcher m = ANSWER_PHRASE.matcher(output);
        int[] last = null;
        while (m.find()) {
            last = new int[] {m.start(1), m.end(1)};
        }
        if (last != null) {
            return last;
        }
        for (Pattern p : new Pattern[] {LEADING_LETTER, PAREN_LETTER}) {
            m = p.matcher(output);
            if (m.find()) {
                return new int[] {m.start(1), m.end(1)};
            }
        }
        return null;
    }

    /**
     * The number of a reference: after the last {@code ####} when present (GSM8K), else the last number of the
     * reference text; null when there is none.
     */
    public static BigDecimal referenceNumber(String reference) {
        if (reference == null) {
            return null;
        }
        int mark = reference.lastIndexOf("####");
        return lastNumber(mark >= 0 ? reference.substring(mark + 4) : reference);
    }

    private static BigDecimal toNumber(String sign, String digits) {
        BigDecimal value = new BigDecimal(digits.replace(",", ""));
        return sign != null ? value.negate() : value;
    }

    /** The multiple-choice letter (A-J, upper case) stated in {@code output}, or null. */
    public static String choiceLetter(String output) {
        if (output == null) {
            return null;
        }
        Matcher m = ANSWER_PHRASE.matcher(output);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        if (last != null) {
            return last;
        }
        m = LEADING_LETTER.matcher(output);
        if (m.find()) {
            return m.group(1);
        }
        m = PAREN_LETTER.matcher(output);
        if (m.find()) {
            return m.group(1);
        }
        return null;
    }

    /** The letter a reference names ("B", "(b)", "B."), upper case, or null when it is not a choice letter. */
    public static String referenceLetter(String reference) {
        if (reference == null) {
            return null;
        }
        Matcher m = REFERENCE_LETTER.matcher(reference);
        return m.matches() ? m.group(1).toUpperCase() : null;
    }
}
