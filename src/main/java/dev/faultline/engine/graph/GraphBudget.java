package dev.faultline.engine.graph;

import ai.djl.ndarray.types.DataType;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.model.HfLanguageModel;

/**
 * How much one graph step may hold: the copies per rows pass (B) and the query rows per chunk of the full-sequence
 * passes, both from the request's memory budget and the model's shape.
 */
final class GraphBudget {

    /** Largest automatic batch (copies per pass). */
    static final int MAX_AUTO_BATCH = 32;

    private GraphBudget() {}

    /**
     * B from the memory budget. Closed-form rows hold ~4 score-sized arrays per copy (H·T numbers each; ~6 with
     * biases, whose linear parts take two more products); rows by a
     * backward pass over the repeated input ~T·(10·D + 6·kv + 6·q + 4·H) activations per copy, twice for gradients.
     */
    static int batch(HfLanguageModel model, GraphRequest request, int t) {
        var c = model.config();
        Transformer tr = model.transformer();
        int layers = c.numLayers();
        DataType dtype = model.dtype().dataType();
        long qd = (long) c.numHeads() * c.headDim();
        long kvd = (long) c.numKvHeads() * c.headDim();
        long bytes = dtype.getNumOfBytes();
        boolean closed = true;
        boolean constants = false;
        for (int l = 0; l < layers && closed; l++) {
            closed = tr.rows().edgeRowsClosedForm(l);
            constants |= tr.rows().attentionHasConstantTerms(l);
        }
        long perCopy = closed
                ? (constants ? 6L : 4L) * c.numHeads() * t * bytes
                : (long) t * (10L * c.hiddenSize() + 6 * kvd + 6 * qd + 4L * c.numHeads()) * bytes * 2;
        // at most 32 copies: a step is one pass, run between live attributions on the engine's worker, so B bounds
        // how long a live job waits behind a graph; at 512 tokens a pass of 32 costs about two single-row passes
        // (bench/RESULTS.md, which also times 64)
        return (int) Math.max(1, Math.min(MAX_AUTO_BATCH, request.memoryBudgetBytes() / Math.max(1, perCopy)));
    }

    /**
     * Query rows per chunk of the forward and the global backward, from the memory budget: one chunk's attention
     * holds ~6 arrays of chunk·H·T numbers (scores, mask, weights and their gradients); the whole sequence at once
     * when it fits, so short inputs take the one-block path. And at most the engine's chunk size per score array
     * ({@link Transformer#scoreChunkBytes}, 16 MiB): a larger array lies above glibc's largest mmap threshold
     * (32 MiB), so each one is mapped afresh and pays a page fault per 4 KiB on first touch (4,096 tokens, one layer's chunked attention: 0.73–0.81 s with chunks of 682
     * rows, 88 MiB a score array; 0.35 s with 128 rows, 16 MiB).
     */
    static int chunk(HfLanguageModel model, GraphRequest request, int t) {
        var c = model.config();
        Transformer tr = model.transformer();
        DataType dtype = model.dtype().dataType();
        long bytes = dtype.getNumOfBytes();
        long perRow = 6L * c.numHeads() * t * bytes;
        long byBudget = request.memoryBudgetBytes() / Math.max(1, perRow);
        long byArray = tr.scoreChunkBytes() / Math.max(1, (long) c.numHeads() * t * bytes);
        return (int) Math.max(16, Math.min(t, Math.min(byBudget, byArray)));
    }
}
