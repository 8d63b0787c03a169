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
 * @param biasPerLayer            relevance absorbed by biases, per layer (length L; embeddings/final norm biases in total)
 * @param softmaxAbsorbedPerLayer relevance absorbed by each layer's attention softmax
 * @param identityResidual        logitDiff - sum(input) - sum(position) - biasTotal - softmaxAbsorbedTotal
 * @param topTokens               the top-k tokens by logit at the target position
 * @param faithfulness            null when skipped
 * @param timingsMs               wall time per phase: forward, backward, faithfulness
 */
public record Attribution(int position, int wrong, Integer correct, double logitWrong, Double logitCorrect,
        double logitDiff, int contrastRank, double[] inputRelevance, double[] positionRelevance,
        double[][] layerInputRelevance, double[][] postAttentionRelevance, double[] finalResidualRelevance,
        double biasTotal, double[] biasPerLayer, double softmaxAbsorbedTotal, double[] softmaxAbsorbedPerLayer,
        double identityResidual, List<TokenLogit> topTokens, Faithfulness faithfulness, Map<String, Double> timingsMs,
        Method method, SoftmaxRule softmax, DType dtype, String device) {
}
