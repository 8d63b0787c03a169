package dev.faultline.triage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenizedText;

/**
 * Chooses the error position and the contrast token of a wrong answer (DESIGN.md section 2.2).
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
    public interface Logits extends Function<int[], double[]> {
    }

    private final Integer maxContrastRank;

    /** @param maxContrastRank when non-null, contrasts ranked worse than this are skipped */
    public ContrastPairFinder(Integer maxContrastRank) {
        this.maxContrastRank = maxContrastRank;
    }

    private record Candidate(int tokenIndex, int contrast, String reference) {
    }

    /** Finds the pair for a wrong answer; {@code answer} is the extracted answer triage scored (may be null). */
    public PairSearch find(TextTokenizer tokenizer, Logits logits, EvalOutput event, String answer) {
        String prompt = Objects.requireNonNullElse(event.prompt(), "");
        String output = Objects.requireNonNullElse(event.output(), "");
        TokenizedText full = tokenizer.encode(prompt + output, true);
        TokenizedText promptOnly = tokenizer.encode(prompt, true);
        int promptTokens = promptTokens(full, promptOnly, prompt.length());
        boolean mismatch = !isPrefix(promptOnly.ids(), full.ids()) || promptTokens != promptOnly.size();
        int n = full.size();
        if (n == promptTokens) {
            return new PairSearch(null, "the output has no tokens", mismatch, n);
        }

        List<Candidate> candidates = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        EvalOutput.ErrorHint hint = event.error();
        if (hint != null && hint.outputCharIndex() != null) {
            int charIndex = hint.outputCharIndex();
            if (charIndex < 0 || charIndex >= output.length()) {
                return new PairSearch(null, "error.output_char_index " + charIndex + " is outside the output (length "
                        + output.length() + ")", mismatch, n);
            }
            int k = tokenAt(full, promptTokens, prompt.length() + charIndex);
            int startInOutput = Math.max(0, full.starts()[k] - prompt.length());
            List<String> contrasts = hint.contrastText() != null ? List.of(hint.contrastText()) : references(event);
            for (String c : contrasts) {
                String continuation = joinContinuation(output.substring(0, startInOutput), c, full.tokens()[k],
                        tokenizer.tokenText(full.ids()[k]));
                int[] ref = tokenizer.encode(prompt + continuation, true).ids();
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
            int answerStart = answerStart(event, output, answer);
            for (String reference : references(event)) {
                String continuation = joinContinuation(output.substring(0, answerStart), reference, null, null);
                int[] ref = tokenizer.encode(prompt + continuation, true).ids();
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
            String reason = reasons.isEmpty() ? "the event has no references and no error.contrast_text"
                    : String.join("; ", reasons);
            return new PairSearch(null, reason, mismatch, n);
        }
        int tokenIndex = candidates.stream().mapToInt(Candidate::tokenIndex).max().orElseThrow();
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
        ContrastPair pair = new ContrastPair(full, promptTokens, tokenIndex, wrong, tokenizer.tokenText(wrong),
                best.contrast(), tokenizer.tokenText(best.contrast()), row[wrong], lc, rank, best.reference());
        String skip = maxContrastRank != null && rank > maxContrastRank
                ? "contrast rank " + rank + " is beyond max-contrast-rank " + maxContrastRank : null;
        return new PairSearch(pair, skip, mismatch, tokenIndex);
    }

    /** Where the answer starts in the output: the regex's group (or match), else the first non-space character. */
    static int answerStart(EvalOutput event, String output, String answer) {
        EvalOutput.Scoring scoring = event.scoring();
        if (scoring != null && "regex".equalsIgnoreCase(scoring.method()) && scoring.pattern() != null) {
            // RE2/J, as in triage: linear time, so a hostile pattern cannot hold the attribution thread
            UserPatterns.Compiled compiled = PATTERNS.compile(scoring.pattern());
            if (compiled.ok()) {
                com.google.re2j.Matcher m = UserPatterns.find(compiled.pattern(), output);
                if (m != null) {
                    return m.groupCount() >= 1 && m.start(1) >= 0 ? m.start(1) : m.start();
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
        return event.references() == null ? List.of()
                : event.references().stream().filter(r -> r != null && !r.isEmpty()).distinct().toList();
    }

    private static EvalOutput withReferences(EvalOutput e, List<String> refs) {
        return new EvalOutput(e.schema(), e.eventId(), e.runId(), e.model(), e.benchmark(), e.exampleId(), e.prompt(),
                e.output(), refs, e.scoring(), e.correct(), e.segments(), e.error(), e.producedAt());
    }

    /** Tokens of {@code full} that belong to the prompt: those ending at or before the prompt's last character. */
    static int promptTokens(TokenizedText full, TokenizedText promptOnly, int promptLength) {
        if (isPrefix(promptOnly.ids(), full.ids()) && (full.size() == promptOnly.size()
                || full.starts()[promptOnly.size()] >= promptLength)) {
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
