package dev.faultline.engine.graph;

import ai.djl.ndarray.NDArray;
import dev.faultline.engine.model.HfLanguageModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds one attribution graph in short steps (each one pass, backward or closed-form), so a caller can run it on
 * the engine's single worker between live attributions. Not thread-safe: all calls on one thread (the worker), then
 * {@link #close()}.
 *
 * <p>Node layers k = 0 … 2L: k = 2l is the residual stream entering layer l, k = 2l+1 the stream after layer l's
 * attention block, k = 2L the stream entering the final norm. Sub-layer k maps node layer k to k+1 (attention block
 * for even k, MLP block for odd k, each with its norm and residual).
 * <ol>
 * <li>Global pass, checkpointed: one forward keeps h_k; then g_2L = ∂Δℓ/∂h_2L through the head, and for k = 2L-1 … 0
 * g_k = ∂⟨block_k(h_k), sg(g_{k+1})⟩/∂h_k, one sub-layer at a time (same rules, same values as one global backward,
 * but only one layer's activations alive at a time). Node relevance R_k = Σ_hidden h_k ⊙ g_k. When a T×T attention
 * does not fit the memory budget, attention blocks run a chunk of query rows at a time in both directions
 * ({@code GraphPasses.attentionChunked}, {@code GraphPasses.globalAttentionChunked}): O(chunk·T) instead of O(T²) per layer.</li>
 * <li>Edge rows: for target node j of layer k+1 with |R| > node-threshold·|Δℓ|, W[j, i] = Σ_hidden h_k[i] ⊙
 * ∂⟨block_k(h_k)[j], sg(g_{k+1}[j])⟩/∂h_k[i]. Attention rows go B at a time (prefix up to the batch's last row,
 * causality makes the rest zero). The B rows come in closed form from the keys and values of the layer (and, with
 * biases, their linear parts; under gradient×input, their norms' shrink), computed once, and each copy's query at
 * j_b ({@link GraphPasses#attentionRowsClosedForm}), for every supported family and both methods; a layer outside the closed
 * form (a q/k norm over a biased projection, which no supported family has) would take one backward pass over h_k
 * repeated B times, copy b seeded with row j_b's gradient by the injected target Σ_b ⟨Y_b[j_b], sg(g[j_b])⟩
 * ({@link GraphPasses#attentionRowsRepeated}). The MLP block is position-wise, so its rows are diagonal: W[j, j] = R_k[j],
 * already known from the global pass.</li>
 * <li>Pruning while computing ({@link EdgeSelector}), then only ancestors of the target node.</li>
 * </ol>
 * The passes are {@link GraphPasses}, their sizes {@link GraphBudget}, the graph's assembly {@link GraphAssembly};
 * this class orders the steps and prunes the rows as they come.
 */
final class GraphBuilder implements AutoCloseable {

    private final GraphRequest request;
    private final GraphPasses passes;
    private final int layers;
    private final int t;
    private final int position;
    private final EdgeSelector.Selection[] selections;
    private final Map<String, Double> timings = new LinkedHashMap<>();
    private final int batch;
    private final int chunk;
    private final double threshold;

    private int globalNext; // next sub-layer of the global backward (counts down to -1)
    private int attnLayer; // attention layer whose rows are being computed
    private int[] rows; // its target rows
    private int cursor; // next index into rows
    private EdgeSelector selector;
    private long rowsTotal;
    private long rowsDone;
    private long started;

    GraphBuilder(HfLanguageModel model, GraphRequest request) {
        this(model, request, 0);
    }

    /** {@code queryChunk}: query rows per chunk of the full-sequence passes; 0 = from the memory budget. */
    GraphBuilder(HfLanguageModel model, GraphRequest request, int queryChunk) {
        this.request = request;
        int[] ids = request.ids();
        model.checkIds(ids);
        int vocab = model.config().vocabSize();
        if (request.wrong() < 0
                || request.wrong() >= vocab
                || request.correct() != null && (request.correct() < 0 || request.correct() >= vocab)) {
            throw new IllegalArgumentException("wrong/correct ids must be in [0, " + vocab + ")");
        }
        this.t = ids.length;
        this.position = request.resolvedPosition();
        if (position < 0 || position >= t) {
            throw new IllegalArgumentException("position " + request.position() + " is outside the input of " + t);
        }
        this.layers = model.config().numLayers();
        this.batch = request.batchSize() > 0 ? request.batchSize() : GraphBudget.batch(model, request, t);
        this.chunk = Math.min(t, queryChunk > 0 ? queryChunk : GraphBudget.chunk(model, request, t));
        selections = new EdgeSelector.Selection[2 * layers];
        long t0 = System.nanoTime();
        passes = new GraphPasses(model, request, chunk);
        threshold = request.nodeThreshold() * Math.abs(passes.logitDiff());
        globalNext = 2 * layers - 1;
        timings.put("forward", (System.nanoTime() - t0) / 1e6);
        started = System.nanoTime();
    }

    int batchSize() {
        return batch;
    }

    int queryChunk() {
        return chunk;
    }

    /** The passes (the residual stream, gradients and rows), for tests. */
    GraphPasses passes() {
        return passes;
    }

    /** One unit of work (one pass); false when nothing is left but {@link #finish()}. */
    boolean step() {
        if (globalNext >= 0) {
            passes.globalStep(globalNext--);
            if (globalNext < 0) {
                timings.put("global_backward", (System.nanoTime() - started) / 1e6);
                started = System.nanoTime();
                for (int l = 0; l < layers; l++) {
                    rowsTotal += aboveThreshold(2 * l + 1).length;
                }
                attnLayer = -1;
                nextAttentionLayer();
            }
            return true;
        }
        if (rows == null) {
            return false;
        }
        rowsBatch();
        return rows != null;
    }

    /** Work done so far: the global backward counts for the first 20 %, the rows for the rest. */
    GraphProgress progress() {
        if (globalNext >= 0) {
            long done = 2L * layers - 1 - globalNext;
            return new GraphProgress("global", done, 2L * layers, 0.2 * done / (2.0 * layers));
        }
        String phase = rows != null ? "rows" : "done";
        double f = rowsTotal == 0 ? 1 : 0.2 + 0.8 * rowsDone / (double) rowsTotal;
        return new GraphProgress(phase, rowsDone, rowsTotal, phase.equals("done") ? 1.0 : Math.min(f, 0.999));
    }

    /** Target nodes of node layer {@code k} whose rows are computed, ascending. */
    private int[] aboveThreshold(int k) {
        return GraphAssembly.aboveThreshold(passes.relevance(k), threshold);
    }

    private void nextAttentionLayer() {
        if (selector != null) {
            long t0 = System.nanoTime();
            selections[2 * attnLayer] = selector.select();
            timings.merge("rows_layer_select", (System.nanoTime() - t0) / 1e6, Double::sum);
        }
        attnLayer++;
        if (attnLayer >= layers) {
            rows = null;
            selector = null;
            passes.releaseKeysValues();
            return;
        }
        rows = aboveThreshold(2 * attnLayer + 1);
        cursor = 0;
        long edges = 0;
        for (int j : rows) {
            edges += j + 1;
        }
        selector = new EdgeSelector(request.edgeMass(), edges);
        if (rows.length == 0) {
            nextAttentionLayer();
        }
    }

    private void rowsBatch() {
        int n = Math.min(batch, rows.length - cursor);
        int[] rs = java.util.Arrays.copyOfRange(rows, cursor, cursor + n);
        long t0 = System.nanoTime();
        double[] w = passes.attentionRows(attnLayer, rs);
        long t1 = System.nanoTime();
        int width = rs[n - 1] + 1;
        for (int c = 0; c < n; c++) {
            selector.addRow(rs[c], w, c * width, rs[c] + 1);
        }
        timings.merge("rows_compute", (t1 - t0) / 1e6, Double::sum);
        timings.merge("rows_select", (System.nanoTime() - t1) / 1e6, Double::sum);
        cursor += n;
        rowsDone += n;
        if (cursor >= rows.length) {
            nextAttentionLayer();
        }
    }

    /** Rows {@code rs} of attention layer {@code l} in one pass ({@link GraphPasses#attentionRows}). */
    double[] attentionRows(int l, int[] rs) {
        return passes.attentionRows(l, rs);
    }

    /** The rows in closed form ({@link GraphPasses#attentionRowsClosedForm}). */
    double[] attentionRowsClosedForm(int l, int[] rs) {
        return passes.attentionRowsClosedForm(l, rs);
    }

    /** The rows by one backward over repeated copies ({@link GraphPasses#attentionRowsRepeated}). */
    double[] attentionRowsRepeated(int l, int[] rs) {
        return passes.attentionRowsRepeated(l, rs);
    }

    /** The residual stream of node layer k, [1, T, D] (owned by the builder). */
    NDArray state(int k) {
        return passes.state(k);
    }

    /** The global gradient at node layer k, [1, T, D] (owned by the builder). */
    NDArray gradient(int k) {
        return passes.gradient(k);
    }

    /** Node relevance of node layer k (from the global pass), [T]. */
    double[] relevance(int k) {
        return passes.relevance(k).clone();
    }

    double logitDiff() {
        return passes.logitDiff();
    }

    /** Prunes, keeps only ancestors of the target node, and assembles the graph. */
    AttributionGraph finish() {
        if (globalNext >= 0 || rows != null) {
            throw new IllegalStateException("graph is not computed yet");
        }
        timings.put("rows", (System.nanoTime() - started) / 1e6);
        double[][] rel = new double[2 * layers + 1][];
        for (int k = 0; k < rel.length; k++) {
            rel[k] = passes.relevance(k);
        }
        return GraphAssembly.assemble(
                request, layers, t, position, passes.logitDiff(), threshold, rel, selections, batch, chunk, timings);
    }

    @Override
    public void close() {
        passes.close();
    }
}
