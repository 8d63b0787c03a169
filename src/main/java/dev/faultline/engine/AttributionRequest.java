package dev.faultline.engine;

/**
 * One attribution: the teacher-forced input ids, the logit row to explain ({@code position}, -1 = last), the
 * wrong token and the contrast token ({@code correct}; null = single-logit target {@code logit(wrong)}).
 *
 * @param faithfulnessK   k of the perturbation check; 0 = skip it
 * @param seed            seed of the random baseline of the perturbation check
 * @param margin          informative when dropTop - dropRandom exceeds this
 * @param topK            how many top tokens (by logit) at the position to report
 */
public record AttributionRequest(
        int[] ids,
        int position,
        int wrong,
        Integer correct,
        Method method,
        SoftmaxRule softmax,
        int faithfulnessK,
        long seed,
        double margin,
        int topK) {

    /** Contrastive AttnLRP at the last position with the default faithfulness check (k=5, margin 0.0). */
    public static AttributionRequest contrastive(int[] ids, int wrong, int correct) {
        return new AttributionRequest(ids, -1, wrong, correct, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, 0L, 0.0, 10);
    }

    /**
     * Δℓ, relevances and the layer profile only: no faithfulness check and the top token alone (re-attributions,
     * cross-scoring, checks against reference values).
     */
    public static AttributionRequest unchecked(
            int[] ids, int position, int wrong, Integer correct, Method method, SoftmaxRule softmax) {
        return new AttributionRequest(ids, position, wrong, correct, method, softmax, 0, 0L, 0.0, 1);
    }

    /** The position resolved against the input length. */
    public int resolvedPosition() {
        return position < 0 ? ids.length + position : position;
    }
}
