package dev.faultline.compare;

import dev.faultline.contract.AttributionResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Relevance on characters, so that models with different tokenizers can be compared: each result token carries its
 * character span {@code [start, end)} in {@code prompt + output}, and its relevance is spread evenly over those
 * characters (a token of 4 characters with relevance 0.8 gives 0.2 to each). The first token and special tokens are
 * left out, as in the normalisation of the heatmap (attention sinks carry large relevance that says nothing about the
 * text). Sums over any character range made of whole tokens are therefore the tokens' own sums. Tokenizers' offsets are
 * repaired in one known case: SentencePiece's lone {@code ▁} before a digit comes back as {@code [0, 1)} and the digit
 * after it as {@code [1, 1)}; the digit gets {@code [0, 1)}, which the blank keeps (the two share the character). Any other text token with an empty
 * span is given the character at its start, so no relevance is lost.
 */
public final class CharRelevance {

    /** Share of tokens whose |relevance| {@link #concentration} sums. */
    public static final double TOP_SHARE = 0.05;

    private CharRelevance() {}

    /**
     * The characters {@code [start, end)} each token's relevance goes to ({@code start == end}: none), with the
     * repairs described above.
     */
    public static int[][] charSpans(List<AttributionResult.Token> tokens) {
        int[][] out = new int[tokens.size()][];
        for (int i = 0; i < tokens.size(); i++) {
            AttributionResult.Token t = tokens.get(i);
            out[i] = new int[] {Math.max(0, t.start()), Math.max(0, t.end())};
        }
        for (int i = 0; i < tokens.size(); i++) {
            AttributionResult.Token t = tokens.get(i);
            if (t.special() || out[i][1] > out[i][0]) {
                continue;
            }
            AttributionResult.Token prev = i > 0 ? tokens.get(i - 1) : null;
            if (prev != null
                    && !prev.special()
                    && prev.text() != null
                    && prev.text().isBlank()
                    && out[i - 1][1] == out[i][0]
                    && out[i - 1][1] > out[i - 1][0]) {
                out[i] = out[i - 1].clone(); // the piece shares the character its blank was given
            } else {
                out[i] = new int[] {out[i][0], out[i][0] + 1};
            }
        }
        return out;
    }

    /** Relevance per character over {@code [0, length)}. */
    public static double[] perChar(List<AttributionResult.Token> tokens, int length) {
        double[] out = new double[Math.max(0, length)];
        int[][] spans = charSpans(tokens);
        for (int i = 1; i < tokens.size(); i++) {
            AttributionResult.Token t = tokens.get(i);
            if (t.special() || t.relevance() == null || spans[i][1] <= spans[i][0]) {
                continue;
            }
            double each = t.relevance() / (spans[i][1] - spans[i][0]);
            for (int c = spans[i][0]; c < Math.min(spans[i][1], out.length); c++) {
                out[c] += each;
            }
        }
        return out;
    }

    /** The end of the last token's span: how far the tokens cover {@code prompt + output}. */
    public static int covered(List<AttributionResult.Token> tokens) {
        int end = 0;
        for (AttributionResult.Token t : tokens) {
            end = Math.max(end, t.end());
        }
        return end;
    }

    /**
     * The text the tokens were cut from, as far as their texts tell it: the non-blank characters of a token whose
     * text is as long as its span are written there; other characters (blanks, a span whose decoded text differs in
     * length, gaps) are {@code '\0'}, unknown.
     */
    public static char[] text(List<AttributionResult.Token> tokens) {
        char[] out = new char[covered(tokens)];
        for (AttributionResult.Token t : tokens) {
            if (!t.special() && t.text() != null && t.text().length() == t.end() - t.start() && t.start() >= 0) {
                for (int i = 0; i < t.text().length(); i++) {
                    char c = t.text().charAt(i);
                    if (!Character.isWhitespace(c)) {
                        out[t.start() + i] = c;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Length of the text both results attributed: the characters both cover, up to the first character where their
     * texts are known to differ (the outputs of two models part after the prompt).
     */
    public static int shared(List<AttributionResult.Token> a, List<AttributionResult.Token> b) {
        char[] ta = text(a);
        char[] tb = text(b);
        int n = Math.min(ta.length, tb.length);
        for (int i = 0; i < n; i++) {
            if (ta[i] != 0 && tb[i] != 0 && ta[i] != tb[i]) {
                return i;
            }
        }
        return n;
    }

    /** Cosine similarity of the first {@code n} entries; null when either is all zero. */
    public static Double cosine(double[] a, double[] b, int n) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < n; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return null;
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Cosine similarity of two results' relevance on the characters of their shared text; null when not defined. */
    public static Double similarity(List<AttributionResult.Token> a, List<AttributionResult.Token> b) {
        if (a == null || b == null || a.isEmpty() || b.isEmpty()) {
            return null;
        }
        int n = shared(a, b);
        return cosine(perChar(a, n), perChar(b, n), n);
    }

    /**
     * Share of the total |relevance| held by the top {@value #TOP_SHARE} of tokens (at least one), over the tokens
     * {@link #perChar} counts; null when there is no relevance.
     */
    public static Double concentration(List<AttributionResult.Token> tokens) {
        List<Double> abs = new ArrayList<>();
        for (int i = 1; i < tokens.size(); i++) {
            AttributionResult.Token t = tokens.get(i);
            if (!t.special() && t.relevance() != null) {
                abs.add(Math.abs(t.relevance()));
            }
        }
        double total = abs.stream().mapToDouble(Double::doubleValue).sum();
        if (abs.isEmpty() || total == 0) {
            return null;
        }
        abs.sort((x, y) -> Double.compare(y, x));
        int k = Math.max(1, (int) Math.ceil(TOP_SHARE * abs.size()));
        double top = 0;
        for (int i = 0; i < k; i++) {
            top += abs.get(i);
        }
        return top / total;
    }

    /** Characters and their relevance, in order, for display: one entry per run of characters of one token. */
    public record Span(int start, int end, String text, double perChar) {}

    /** The tokens' spans within {@code [0, length)} with the relevance per character {@link #perChar} gives them. */
    public static List<Span> spans(List<AttributionResult.Token> tokens, int length) {
        List<Span> out = new ArrayList<>();
        int[][] spans = charSpans(tokens);
        for (int i = 1; i < tokens.size(); i++) {
            AttributionResult.Token t = tokens.get(i);
            int s = spans[i][0];
            int e = spans[i][1];
            if (t.special() || t.relevance() == null || e <= s || s >= length) {
                continue;
            }
            out.add(new Span(s, Math.min(e, length), t.text(), t.relevance() / (e - s)));
        }
        return out;
    }
}
