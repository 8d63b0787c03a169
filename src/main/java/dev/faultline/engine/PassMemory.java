package dev.faultline.engine;

import dev.faultline.engine.model.HfConfig;
import dev.faultline.engine.model.HfLanguageModel;

/**
 * What one attribution pass holds at its peak beyond the weights, estimated from the model's shape and the input
 * length, so that a pass that would not fit is refused ({@link InputTooLongException} with the estimate) instead of
 * ending in an out-of-memory kill. Counted per token and layer, in the compute dtype: what the backward pass keeps
 * (the inputs of the q/k/v and output projections, keys and values once per key/value head, the MLP's input, gate
 * activation, its sigmoid, the up projection and the down projection's input), the probes' values and gradients
 * (residual stream twice, queries, attention outputs), and per layer the attention weights of the causal chunks
 * (the same chunking as the forward: rows at a time once a score array passes the chunk budget), plus three
 * score-sized arrays of the largest chunk in flight and the causal mask. Times 1.2 for the allocator and the smaller
 * temporaries of the layer in flight. Measured on the Qwen3-0.6B shape at 512 tokens: 1.7 GiB of native memory in
 * use at the forward's end over the loaded weights (bench/RESULTS.md, {@code PassPhasesBench}), estimate 3.4 GB.
 */
public final class PassMemory {

    private PassMemory() {}

    /** {@link #attributionBytes(HfConfig, int, int, long)} of model {@code m}: its shape, compute dtype and chunking. */
    static long attributionBytes(HfLanguageModel m, int tokens) {
        return attributionBytes(
                m.hfConfig(),
                tokens,
                m.dtype().dataType().getNumOfBytes(),
                m.transformer().scoreChunkBytes());
    }

    /** Estimated peak bytes of one attribution of {@code tokens} tokens on a model of shape {@code c}. */
    public static long attributionBytes(HfConfig c, int tokens, int dtypeBytes, long scoreChunkBytes) {
        long d = c.hiddenSize();
        long qDim = (long) c.numHeads() * c.headDim();
        long kvDim = (long) c.numKvHeads() * c.headDim();
        long inner = c.intermediateSize();
        long saved = d + qDim + 2 * kvDim + qDim + d + 4 * inner;
        long probes = 2 * (2 * d + qDim + qDim);
        long linear = c.numLayers() * (long) tokens * (saved + probes);
        long heads = c.numHeads();
        long rowsPerChunk = scoreChunkBytes / Math.max(1, heads * tokens * dtypeBytes);
        int n = rowsPerChunk < tokens ? (int) Math.max(16, rowsPerChunk) : tokens;
        long weights = 0;
        for (int c0 = 0; c0 < tokens; c0 += n) {
            int c1 = Math.min(tokens, c0 + n);
            weights += (long) (c1 - c0) * c1;
        }
        long attention = c.numLayers() * heads * weights;
        // the largest chunk's scores, masked scores and weights (forward) or their gradients (softmax backward) in
        // flight at once, and the additive causal mask
        long inFlight = 3 * heads * (long) n * tokens + (long) tokens * tokens;
        long readout = 8L * (tokens * d * 3 + c.vocabSize()); // float64 read-out of one probe, the target's logits
        return (long) (1.2 * ((linear + attention + inFlight) * dtypeBytes + readout));
    }
}
