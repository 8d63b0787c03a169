package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;

/**
 * The weights of one transformer block, with every linear weight stored as Hugging Face {@code nn.Linear} does,
 * (out, in); GPT-2's Conv1D weights are transposed and its fused {@code c_attn} split at load time. Absent parts
 * (biases, the norms a family does not have) are null.
 */
public record LayerWeights(
        NDArray attnNormW,
        NDArray attnNormB,
        NDArray q,
        NDArray qb,
        NDArray k,
        NDArray kb,
        NDArray v,
        NDArray vb,
        NDArray o,
        NDArray ob,
        NDArray qNorm,
        NDArray kNorm,
        NDArray postAttnNorm,
        NDArray mlpNormW,
        NDArray mlpNormB,
        NDArray gate,
        NDArray gateB,
        NDArray up,
        NDArray upB,
        NDArray down,
        NDArray downB,
        NDArray postMlpNorm,
        int slidingWindow) {}
