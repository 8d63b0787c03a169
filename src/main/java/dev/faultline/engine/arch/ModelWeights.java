package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * All weights of a checkpoint in the layout the forward pass uses: token embeddings, learned positions (GPT-2 only),
 * the blocks, the final norm and the output head (the embedding matrix itself when tied).
 */
public record ModelWeights(
        NDArray embed,
        NDArray positions,
        List<LayerWeights> layers,
        NDArray finalNormW,
        NDArray finalNormB,
        NDArray head) {}
