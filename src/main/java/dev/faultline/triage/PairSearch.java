package dev.faultline.triage;

import dev.faultline.contract.AttributionResult;

/**
 * What the contrast-pair search found: a pair (null when none exists), the reason when there is no usable pair (a
 * pair can be present and still skipped, e.g. its contrast ranks beyond {@code max-contrast-rank}), and whether
 * {@code prompt + output} tokenized differently from the prompt followed by the output; where the scored answer lies
 * in the output ({@code answerSpan}, null when the scoring has none) and, when the event carried token ids, whether
 * they differ from the text's tokenization ({@code tokenization}, null for events without ids).
 */
public record PairSearch(
        ContrastPair pair,
        String skipReason,
        boolean retokenizationMismatch,
        int inputTokens,
        AttributionResult.AnswerSpan answerSpan,
        AttributionResult.Tokenization tokenization) {

    public PairSearch(ContrastPair pair, String skipReason, boolean retokenizationMismatch, int inputTokens) {
        this(pair, skipReason, retokenizationMismatch, inputTokens, null, null);
    }

    /** The same search with another tokenization report. */
    public PairSearch withTokenization(AttributionResult.Tokenization t) {
        return new PairSearch(pair, skipReason, retokenizationMismatch, inputTokens, answerSpan, t);
    }

    public boolean usable() {
        return pair != null && skipReason == null;
    }
}
