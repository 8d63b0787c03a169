package dev.faultline.engine;

import java.util.List;
import java.util.Map;

/**
 * The result of one attribution pass, named as in {@code shared/golden/README.md}. Relevances are of the target
 * {@code logit(wrong) - logit(correct)} (or {@code logit(wrong)} alone when there is no contrast).
 *
 * @param inputRelevance          per input token: sum over hidden dims of token embedding x gradient
 * @param positionRelevance       GPT-2: the position embedding's share per token; null for RoPE models
 * @param layerInputRelevance     [L+1][T]: residual stream entering each layer (row 0 = embeddings), row L = final
 * @param postAttentionRelevance  [L][T]: residual stream after each layer's attention block (before the MLP)
 * @param finalResidualRelevance  [T]: the residual stream entering the final norm
 * @param biasTotal               relevance absorbed by every bias, GPT-2's position embeddings included (their share
 *                                is also in {@code positionRelevance}), as the golden files' {@code bias_relevance.total}
 * @param biasPerLayer            relevance absorbed by biases, per layer, length L+1: index L is the final norm's bias
 *                                (position embeddings are only in {@code biasTotal})
 * @param softmaxAbsorbedPerLayer relevance absorbed by each layer's attention softmax (relevance leaving it minus
 *                                relevance entering it; 0 with {@code softmax=detach})
 * @param contrastRank            1 + the number of tokens with a higher logit than {@code correct}; -1 without contrast
 * @param identityResidual        logitDiff - sum(input) - biasTotal - softmaxAbsorbedTotal (≈ 0 for the AttnLRP rules;
 *                                the position share is inside biasTotal)
 * @param topTokens               the top-k tokens by logit at the target position
 * @param faithfulness            null when skipped
 * @param timingsMs               wall time per phase: forward, backward, faithfulness
 */
public record Attribution(
        int position,
        int wrong,
        Integer correct,
        double logitWrong,
        Double logitCorrect,
        double logitDiff,
        int contrastRank,
        double[] inputRelevance,
        double[] positionRelevance,
        double[][] layerInputRelevance,
        double[][] postAttentionRelevance,
        double[] finalResidualRelevance,
        double biasTotal,
        double[] biasPerLayer,
        double softmaxAbsorbedTotal,
        double[] softmaxAbsorbedPerLayer,
        double identityResidual,
        List<TokenLogit> topTokens,
        Faithfulness faithfulness,
        Map<String, Double> timingsMs,
        Method method,
        SoftmaxRule softmax,
        DType dtype,
        String device) {

    /** Sum of {@link #inputRelevance()}. */
    public double inputRelevanceSum() {
        double s = 0;
        for (double v : inputRelevance) {
            s += v;
        }
        return s;
    }

    /**
     * Per-token relevance normalised for heatmaps: divided by the largest |relevance| over tokens other than the
     * first and those flagged in {@code special} (attention sinks); all zeros when nothing is left to scale by.
     */
    public double[] normalizedInputRelevance(boolean[] special) {
        double max = 0;
        for (int i = 1; i < inputRelevance.length; i++) {
            if (special == null || i >= special.length || !special[i]) {
                max = Math.max(max, Math.abs(inputRelevance[i]));
            }
        }
        double[] out = new double[inputRelevance.length];
        for (int i = 0; i < out.length && max > 0; i++) {
            out[i] = inputRelevance[i] / max;
        }
        return out;
    }
}
