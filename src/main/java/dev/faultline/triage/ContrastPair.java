package dev.faultline.triage;

import dev.faultline.engine.TokenizedText;
import java.util.Arrays;

/**
 * The pair a wrong answer is explained by (docs/contract.md, the contrastive pair): the model's token at the error position and the
 * token that starts the reference continuation there, with their logits at the row that predicts that position.
 *
 * @param text          {@code prompt + output} tokenized with the model's template (BOS included)
 * @param promptTokens  how many of {@code text}'s tokens belong to the prompt
 * @param tokenIndex    index in {@code text} of the wrong token; the attribution input is {@code text.ids[0..tokenIndex)}
 * @param contrastRank  1-based rank of the contrast token among all tokens at that row
 * @param reference     the reference (or the producer's {@code contrast_text}) the contrast comes from
 */
public record ContrastPair(
        TokenizedText text,
        int promptTokens,
        int tokenIndex,
        int wrong,
        String wrongText,
        int contrast,
        String contrastText,
        double logitWrong,
        double logitContrast,
        int contrastRank,
        String reference) {

    /** The logit row that predicts the wrong token (the attribution's target position). */
    public int position() {
        return tokenIndex - 1;
    }

    /** logit(wrong) - logit(contrast). */
    public double logitDiff() {
        return logitWrong - logitContrast;
    }

    /** The teacher-forced input: prompt ids plus the output tokens before the error. */
    public int[] inputIds() {
        return Arrays.copyOf(text.ids(), tokenIndex);
    }

    /** Output tokens before the error that the output shares with the reference (teacher-forced). */
    public int[] forcedPrefixIds() {
        return Arrays.copyOfRange(text.ids(), promptTokens, tokenIndex);
    }
}
