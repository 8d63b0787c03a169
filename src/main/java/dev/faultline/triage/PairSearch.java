package dev.faultline.triage;

/**
 * What the contrast-pair search found: a pair (null when none exists), the reason when there is no usable pair (a
 * pair can be present and still skipped, e.g. its contrast ranks beyond {@code max-contrast-rank}), and whether
 * {@code prompt + output} tokenized differently from the prompt followed by the output.
 */
public record PairSearch(ContrastPair pair, String skipReason, boolean retokenizationMismatch, int inputTokens) {

    public boolean usable() {
        return pair != null && skipReason == null;
    }
}
