package dev.faultline.triage;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenizedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Chooses the error position and the contrast token of a wrong answer (docs/contract.md, the contrastive pair).
 * <p>
 * For each reference the output's answer is replaced by the reference ({@code output[0:answerStart] + reference},
 * so the space in front of the answer is kept: {@code " Lily."} against {@code Tom} gives {@code " Tom"}), and
 * {@code prompt + that} is tokenized. The first token where the two id sequences differ is where that reference
 * stops being reachable; the error position is the latest such token over the references (shared leading tokens,
 * {@code ▁S} of {@code Sam}/{@code Sue}, are teacher-forced). The wrong token is the output's token there, the
 * contrast the reference's token there; with several references the contrast with the highest logit wins. The
 * top-k is never searched for string prefixes of the reference: the bare space token would win.
 */
public final class ContrastPairFinder {

    private static final UserPatterns PATTERNS = new UserPatterns();

    /** Logits ([V]) of the last position for the given ids; the engine's forward pass in production. */
    @FunctionalInterface
    public interface Logits extends Function<int[], double[]> {}

    private final Integer maxContrastRank;

    /** @param maxContrastRank when non-null, contrasts ranked worse than this are skipped */
    public ContrastPairFinder(Integer maxContrastRank) {
        this.maxContrastRank = maxContrastRank;
    }

    private record Candidate(int tokenIndex, int contrast, String reference) {}

    /** Finds the pair for a wrong answer; {@code answer} is the extracted answer triage scored (may be null). */
    public PairSearch find(TextTokenizer tokenizer, Logits logits, EvalOutput event, String answer) {
        return find(tokenizer, logits, event, answer, true);
    }

    /**
     * As {@link #find(TextTokenizer, Logits, EvalOutput, String)}; {@code addSpecialTokens} false for a prompt a chat
     * template rendered (the template writes its own BOS; transformers tokenizes it without special tokens).
     */
    public PairSearch find(
            TextTokenizer tokenizer, Logits logits, EvalOutput event, String answer, boolean addSpecialTokens) {
        final boolean special = addSpecialTokens;
        String prompt = Objects.requireNonNullElse(event.prompt(), "");
        String output = Objects.requireNonNullElse(event.output(), "");
        TokenizedText full = tokenizer.encode(prompt + output, special);
        TokenizedText promptOnly = tokenizer.encode(prompt, special);
        int promptTokens = promptTokens(full, promptOnly, prompt.length());
        boolean mismatch = !isPrefix(promptOnly.ids(), full.ids()) || promptTokens != promptOnly.size();
        AttributionResult.Tokenization tokenization = null;
        boolean producerIds = false;
        if (event.promptTokenIds() != null || event.outputTokenIds() != null) {
            // the producer's ids are attributed as given; the text's own tokenization only tells whether they differ
            int[] ids = full.ids();
            int[] promptIds = event.promptTokenIds() != null
                    ? toArray(event.promptTokenIds())
                    : Arrays.copyOfRange(ids, 0, promptTokens);
            int[] outputIds = event.outputTokenIds() != null
                    ? toArray(event.outputTokenIds())
                    : Arrays.copyOfRange(ids, promptTokens, ids.length);
            int[] seq = concat(promptIds, outputIds);
            boolean differs = !Arrays.equals(seq, ids);
            tokenization =
                    new AttributionResult.Tokenization("producer", differs, differs ? firstDifference(seq, ids) : null);
            if (differs) {
                full = spans(tokenizer, seq, prompt + output);
                producerIds = true;
            }
            promptTokens = promptIds.length;
            mismatch = false;
        }
        int n = full.size();
        if (n == promptTokens) {
            return new PairSearch(null, "the output has no tokens", mismatch, n, null, tokenization);
        }

        List<Candidate> candidates = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        AttributionResult.AnswerSpan answerSpan = null;
        EvalOutput.ErrorHint hint = event.error();
        if (hint != null && hint.outputCharIndex() != null) {
            int charIndex = hint.outputCharIndex();
            if (charIndex < 0 || charIndex >= output.length()) {
                return new PairSearch(
                        null,
                        "error.output_char_index " + charIndex + " is outside the output (length " + output.length()
                                + ")",
                        mismatch,
                        n,
                        null,
                        tokenization);
            }
            int k = tokenAt(full, promptTokens, prompt.length() + charIndex);
            int startInOutput = Math.max(0, full.starts()[k] - prompt.length());
            List<String> contrasts = hint.contrastText() != null ? List.of(hint.contrastText()) : references(event);
            for (String c : contrasts) {
                String continuation = joinContinuation(
                        output.substring(0, startInOutput), c, full.tokens()[k], tokenizer.tokenText(full.ids()[k]));
                int[] ref = producerIds
                        ? referenceIds(tokenizer, full, k, prompt + continuation, special)
                        : tokenizer.encode(prompt + continuation, special).ids();
                if (ref.length > k && prefixEquals(ref, full.ids(), k) && ref[k] != full.ids()[k]) {
                    candidates.add(new Candidate(k, ref[k], c));
                } else {
                    reasons.add("'" + c + "' does not give a different token at output character " + charIndex);
                }
            }
        } else {
            if (hint != null && hint.contrastText() != null) {
                // a contrast text without a position: treat it as the only reference
                event = withReferences(event, List.of(hint.contrastText()));
            }
            AnswerLocator.Location located = AnswerLocator.locate(event, output);
            if (located.unlocatable()) {
                return new PairSearch(null, located.reason(), mismatch, n, null, tokenization);
            }
            int answerStart;
            String after = "";
            if (located.span() != null) {
                answerSpan = new AttributionResult.AnswerSpan(located.start(), located.end(), prompt.length());
                answerStart = located.start();
                after = output.substring(located.end());
            } else {
                answerStart = answerStart(event, output, answer);
            }
            int k0 = tokenAt(full, promptTokens, prompt.length() + answerStart);
            for (String reference : references(event)) {
                // the answer replaced by the reference, what follows it kept: the first token where the two differ
                String continuation = joinContinuation(output.substring(0, answerStart), reference, null, null) + after;
                int[] ref = producerIds
                        ? referenceIds(tokenizer, full, k0, prompt + continuation, special)
                        : tokenizer.encode(prompt + continuation, special).ids();
                int d = firstDifference(full.ids(), ref);
                if (d < promptTokens) {
                    reasons.add("'" + reference + "' re-tokenizes the prompt differently");
                } else if (d >= ref.length) {
                    reasons.add("the tokens of '" + reference + "' are a prefix of the output's");
                } else if (d >= n) {
                    reasons.add("the output's tokens are a prefix of '" + reference + "'");
                } else {
                    candidates.add(new Candidate(d, ref[d], reference));
                }
            }
        }
        if (candidates.isEmpty()) {
            String reason = reasons.isEmpty()
                    ? "the event has no references and no error.contrast_text"
                    : String.join("; ", reasons);
            return new PairSearch(null, reason, mismatch, n, answerSpan, tokenization);
        }
        int tokenIndex =
                candidates.stream().mapToInt(Candidate::tokenIndex).max().orElseThrow();
        double[] row = logits.apply(java.util.Arrays.copyOf(full.ids(), tokenIndex));
        Candidate best = null;
        for (Candidate c : candidates) {
            if (c.tokenIndex() == tokenIndex && (best == null || row[c.contrast()] > row[best.contrast()])) {
                best = c;
            }
        }
        int wrong = full.ids()[tokenIndex];
        int rank = 1;
        double lc = row[best.contrast()];
        for (double v : row) {
            if (v > lc) {
                rank++;
            }
        }
        ContrastPair pair = new ContrastPair(
                full,
                promptTokens,
                tokenIndex,
                wrong,
                tokenizer.tokenText(wrong),
                best.contrast(),
                tokenizer.tokenText(best.contrast()),
                row[wrong],
                lc,
                rank,
                best.reference());
        String skip = maxContrastRank != null && rank > maxContrastRank
                ? "contrast rank " + rank + " is beyond max-contrast-rank " + maxContrastRank
                : null;
        return new PairSearch(pair, skip, mismatch, tokenIndex, answerSpan, tokenization);
    }

    /**
     * The ids of a reference continuation after the producer's ids: the producer's first {@code k} ids, then the
     * text's own tokens of {@code text} from the character where token {@code k} starts (tokenized in context when
     * the text's tokenization has a boundary there, else on their own).
     */
    static int[] referenceIds(
            TextTokenizer tokenizer, TokenizedText producer, int k, String text, boolean addSpecialTokens) {
        int from = Math.min(producer.starts()[k], text.length());
        TokenizedText own = tokenizer.encode(text, addSpecialTokens);
        int[] tail = null;
        for (int i = 0; i < own.size(); i++) {
            if (!own.special()[i] && own.starts()[i] == from && (i == 0 || own.ends()[i - 1] <= from)) {
                tail = Arrays.copyOfRange(own.ids(), i, own.size());
                break;
            }
        }
        if (tail == null) {
            tail = tokenizer.encode(text.substring(from), false).ids();
        }
        return concat(Arrays.copyOf(producer.ids(), k), tail);
    }

    /**
     * Character spans of given ids over {@code text} (the text they are said to encode): each run of ordinary tokens
     * is decoded cumulatively, a special token takes its own characters when the text has them there (a chat marker)
     * and none otherwise (a BOS the template added). Where the ids do not decode to the text, the spans are clamped
     * to it.
     */
    static TokenizedText spans(TextTokenizer tokenizer, int[] ids, String text) {
        int n = ids.length;
        int[] starts = new int[n];
        int[] ends = new int[n];
        boolean[] special = new boolean[n];
        String[] tokens = new String[n];
        int cursor = 0;
        int runStart = -1;
        int runChar = 0;
        for (int i = 0; i < n; i++) {
            tokens[i] = tokenizer.tokenText(ids[i]);
            special[i] = tokenizer.isSpecial(ids[i]);
            if (special[i]) {
                runStart = -1;
                String t = tokens[i] == null ? "" : tokens[i];
                int end = !t.isEmpty() && text.startsWith(t, cursor) ? cursor + t.length() : cursor;
                starts[i] = cursor;
                ends[i] = end;
                cursor = end;
                continue;
            }
            if (runStart < 0) {
                runStart = i;
                runChar = cursor;
            }
            int decoded = tokenizer
                    .decode(Arrays.copyOfRange(ids, runStart, i + 1), true)
                    .length();
            int end = Math.max(cursor, Math.min(text.length(), runChar + decoded));
            starts[i] = cursor;
            ends[i] = end;
            cursor = end;
        }
        return new TokenizedText(ids, tokens, starts, ends, special);
    }

    private static int[] toArray(List<Integer> ids) {
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.get(i);
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Where the answer starts in the output: the regex's group (or match), else the first non-space character. */
    static int answerStart(EvalOutput event, String output, String answer) {
        EvalOutput.Scoring scoring = event.scoring();
        if (scoring != null && "regex".equalsIgnoreCase(scoring.method()) && scoring.pattern() != null) {
            // RE2/J, as in triage: linear time, so a hostile pattern cannot hold the attribution thread
            UserPatterns.Compiled compiled = PATTERNS.compile(scoring.pattern());
            if (compiled.ok()) {
                try {
                    com.google.re2j.Matcher m =
                            UserPatterns.find(compiled.pattern(), output, AnswerScorer.DEFAULT_PATTERN_BUDGET);
                    if (m != null) {
                        return m.groupCount() >= 1 && m.start(1) >= 0 ? m.start(1) : m.start();
                    }
                } catch (UserPatterns.TimeBudgetExceeded slow) {
                    // as a refused pattern: the answer's own position
                }
            }
            // a refused pattern falls through (triage makes such events UNSCORABLE): the answer's own position
        }
        if (answer != null && !answer.isBlank()) {
            int at = output.indexOf(answer);
            if (at >= 0) {
                return at;
            }
        }
        int i = 0;
        while (i < output.length() && Character.isWhitespace(output.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Prefix + reference, with the reference's own leading space dropped when the prefix already ends in one. */
    static String joinContinuation(String prefix, String reference, String wrongToken, String wrongText) {
        String ref = reference;
        if (!prefix.isEmpty() && Character.isWhitespace(prefix.charAt(prefix.length() - 1))) {
            ref = ref.stripLeading();
        } else if (wrongText != null && wrongText.startsWith(" ") && !ref.startsWith(" ")) {
            // the wrong token carries the word's leading space: so does its replacement
            ref = " " + ref;
        }
        return prefix + ref;
    }

    private static List<String> references(EvalOutput event) {
        return event.references() == null
                ? List.of()
                : event.references().stream()
                        .filter(r -> r != null && !r.isEmpty())
                        .distinct()
                        .toList();
    }

    private static EvalOutput withReferences(EvalOutput e, List<String> refs) {
        return e.with(e.prompt(), e.segments(), refs);
    }

    /** Tokens of {@code full} that belong to the prompt: those ending at or before the prompt's last character. */
    static int promptTokens(TokenizedText full, TokenizedText promptOnly, int promptLength) {
        if (isPrefix(promptOnly.ids(), full.ids())
                && (full.size() == promptOnly.size() || full.starts()[promptOnly.size()] >= promptLength)) {
            return promptOnly.size();
        }
        int k = 0;
        while (k < full.size() && (full.special()[k] || full.ends()[k] <= promptLength)) {
            k++;
        }
        return k;
    }

    /** The index of the output token covering character {@code at} of {@code prompt + output}. */
    private static int tokenAt(TokenizedText full, int from, int at) {
        for (int k = from; k < full.size(); k++) {
            if (!full.special()[k] && full.ends()[k] > at) {
                return k;
            }
        }
        return full.size() - 1;
    }

    private static boolean isPrefix(int[] prefix, int[] ids) {
        return prefix.length <= ids.length && prefixEquals(prefix, ids, prefix.length);
    }

    private static boolean prefixEquals(int[] a, int[] b, int k) {
        if (a.length < k || b.length < k) {
            return false;
        }
        for (int i = 0; i < k; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    private static int firstDifference(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
