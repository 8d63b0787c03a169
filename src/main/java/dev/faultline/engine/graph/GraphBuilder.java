package dev.faultline.engine.graph;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.arch.Pass;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.model.HfLanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * ({@link #attentionChunked}, {@link #globalAttentionChunked}): O(chunk·T) instead of O(T²) per layer.</li>
 * <li>Edge rows: for target node j of layer k+1 with |R| > node-threshold·|Δℓ|, W[j, i] = Σ_hidden h_k[i] ⊙
 * ∂⟨block_k(h_k)[j], sg(g_{k+1}[j])⟩/∂h_k[i]. Attention rows go B at a time (prefix up to the batch's last row,
 * causality makes the rest zero). The B rows come in closed form from the keys and values of the layer (and, with
 * biases, their linear parts; under gradient×input, their norms' shrink), computed once, and each copy's query at
 * j_b ({@link #attentionRowsClosedForm}), for every supported family and both methods; a layer outside the closed
 * form (a q/k norm over a biased projection, which no supported family has) would take one backward pass over h_k
 * repeated B times, copy b seeded with row j_b's gradient by the injected target Σ_b ⟨Y_b[j_b], sg(g[j_b])⟩
 * ({@link #attentionRowsRepeated}). The MLP block is position-wise, so its rows are diagonal: W[j, j] = R_k[j],
 * already known from the global pass.</li>
 * <li>Pruning while computing ({@link EdgeSelector}), then only ancestors of the target node.</li>
 * </ol>
 */
final class GraphBuilder implements AutoCloseable {

    /** Largest automatic batch (copies per pass). */
    static final int MAX_AUTO_BATCH = 32;

    private final HfLanguageModel model;
    private final GraphRequest request;
    private final Transformer tr;
    private final int layers;
    private final int t;
    private final int position;
    private final boolean rules;
    private final boolean detach;
    private final DataType dtype;
    private final NDManager gm;
    private final NDArray[] h;
    private final NDArray[] g;
    private final double[][] rel;
    private final EdgeSelector.Selection[] selections;
    private final Map<String, Double> timings = new LinkedHashMap<>();
    private final int batch;
    private final int chunk;
    private double logitDiff;
    private double threshold;

    private int globalNext;          // next sub-layer of the global backward (counts down to -1)
    private int attnLayer;           // attention layer whose rows are being computed
    private int[] rows;              // its target rows
    private int cursor;              // next index into rows
    private EdgeSelector selector;
    private long rowsTotal;
    private long rowsDone;
    private long started = System.nanoTime();
    private Transformer.EdgeKeys kvCache;       // keys and values of layer kvLayer, [kvH, hd, T] each (closed-form rows)
    private int kvLayer = -1;
    private NDManager kvManager;

    GraphBuilder(HfLanguageModel model, GraphRequest request) {
        this(model, request, 0);
    }

    /** {@code queryChunk}: query rows per chunk of the full-sequence passes; 0 = from the memory budget. */
    GraphBuilder(HfLanguageModel model, GraphRequest request, int queryChunk) {
        this.model = model;
        this.request = request;
        int[] ids = request.ids();
        model.checkIds(ids);
        int vocab = model.config().vocabSize();
        if (request.wrong() < 0 || request.wrong() >= vocab
                || request.correct() != null && (request.correct() < 0 || request.correct() >= vocab)) {
            throw new IllegalArgumentException("wrong/correct ids must be in [0, " + vocab + ")");
        }
        this.t = ids.length;
        this.position = request.resolvedPosition();
        if (position < 0 || position >= t) {
            throw new IllegalArgumentException("position " + request.position() + " is outside the input of " + t);
        }
        this.tr = model.transformer();
        this.layers = model.config().numLayers();
        this.rules = request.method() == Method.ATTNLRP;
        this.detach = request.softmax() == SoftmaxRule.DETACH;
        this.dtype = model.dtype().dataType();
        this.batch = request.batchSize() > 0 ? request.batchSize() : autoBatch();
        this.chunk = Math.min(t, queryChunk > 0 ? queryChunk : autoChunk());
        int nodeLayers = 2 * layers + 1;
        h = new NDArray[nodeLayers];
        g = new NDArray[nodeLayers];
        rel = new double[nodeLayers][];
        selections = new EdgeSelector.Selection[2 * layers];
        gm = model.manager().newSubManager();
        try {
            forward();
        } catch (RuntimeException e) {
            gm.close();
            throw e;
        }
    }

    /**
     * B from the memory budget. Closed-form rows hold ~4 score-sized arrays per copy (H·T numbers each; ~6 with
     * biases, whose linear parts take two more products); rows by a
     * backward pass over the repeated input ~T·(10·D + 6·kv + 6·q + 4·H) activations per copy, twice for gradients.
     */
    private int autoBatch() {
        var c = model.config();
        long qd = (long) c.numHeads() * c.headDim();
        long kvd = (long) c.numKvHeads() * c.headDim();
        long bytes = dtype.getNumOfBytes();
        boolean closed = true;
        boolean constants = false;
        for (int l = 0; l < layers && closed; l++) {
            closed = tr.edgeRowsClosedForm(l);
            constants |= tr.attentionHasConstantTerms(l);
        }
        long perCopy = closed ? (constants ? 6L : 4L) * c.numHeads() * t * bytes
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
    private int autoChunk() {
        var c = model.config();
        long bytes = dtype.getNumOfBytes();
        long perRow = 6L * c.numHeads() * t * bytes;
        long byBudget = request.memoryBudgetBytes() / Math.max(1, perRow);
        long byArray = tr.scoreChunkBytes() / Math.max(1, (long) c.numHeads() * t * bytes);
        return (int) Math.max(16, Math.min(t, Math.min(byBudget, byArray)));
    }

    int batchSize() {
        return batch;
    }

    int queryChunk() {
        return chunk;
    }

    private Pass pass(NDManager pm) {
        return new Pass(pm, rules, detach, false);
    }

    private static GradientCollector collector() {
        return Engine.getEngine("PyTorch").newGradientCollector();
    }

    /** Forward once, keeping the residual stream at every node layer, then the head's backward: g_2L and Δℓ. */
    private void forward() {
        long t0 = System.nanoTime();
        try (NDManager pm = gm.newSubManager()) {
            Pass p = pass(pm);
            NDArray x = tr.residualInput(tr.embed(pm, request.ids()).expandDims(0));
            h[0] = keep(x);
            for (int l = 0; l < layers; l++) {
                x = chunk < t ? attentionChunked(l, x, pm) : tr.attentionBlock(p, l, x);
                h[2 * l + 1] = keep(x);
                x = tr.mlpBlock(p, l, x);
                h[2 * l + 2] = keep(x);
            }
        }
        try (NDManager pm = gm.newSubManager()) {
            NDArray x = leaf(h[2 * layers], pm);
            NDArray target;
            try (GradientCollector gc = collector()) {
                NDArray logits = tr.head(pass(pm), x, position).squeeze(0);
                target = request.correct() == null ? logits.get(request.wrong())
                        : logits.get(request.wrong()).sub(logits.get(request.correct()));
                gc.backward(target);
            }
            logitDiff = target.toType(DataType.FLOAT64, false).getDouble();
            NDArray gx = x.getGradient();
            g[2 * layers] = keep(gx);
            rel[2 * layers] = rowSums(x, gx)[0];
        }
        threshold = request.nodeThreshold() * Math.abs(logitDiff);
        globalNext = 2 * layers - 1;
        timings.put("forward", (System.nanoTime() - t0) / 1e6);
        started = System.nanoTime();
    }

    /** Copies {@code a} into the graph's manager (it outlives the step's sub-manager). */
    private NDArray keep(NDArray a) {
        NDArray k = a.duplicate();
        k.attach(gm);
        return k;
    }

    /** A fresh leaf with the values of {@code a}, owned by {@code pm}. */
    private static NDArray leaf(NDArray a, NDManager pm) {
        NDArray x = a.duplicate();
        x.attach(pm);
        x.setRequiresGradient(true);
        return x;
    }

    /** Σ over hidden of a ⊙ b for [B, T, D] arrays: [B][T] in float64. */
    private static double[][] rowSums(NDArray a, NDArray b) {
        NDArray r = a.toType(DataType.FLOAT64, false).mul(b.toType(DataType.FLOAT64, false)).sum(new int[] {2});
        int n = (int) r.getShape().get(0);
        int m = (int) r.getShape().get(1);
        double[] flat = r.toDoubleArray();
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * m, out[i], 0, m);
        }
        return out;
    }

    private NDArray block(Pass p, int k, NDArray x) {
        return k % 2 == 0 ? tr.attentionBlock(p, k / 2, x) : tr.mlpBlock(p, k / 2, x);
    }

    /** One unit of work (one pass); false when nothing is left but {@link #finish()}. */
    boolean step() {
        if (globalNext >= 0) {
            globalStep(globalNext--);
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

    private void globalStep(int k) {
        if (k % 2 == 0 && chunk < t) {
            globalAttentionChunked(k);
            return;
        }
        try (NDManager pm = gm.newSubManager()) {
            NDArray x = leaf(h[k], pm);
            try (GradientCollector gc = collector()) {
                NDArray y = block(pass(pm), k, x);
                gc.backward(y.mul(g[k + 1]).sum());
            }
            NDArray gx = x.getGradient();
            g[k] = keep(gx);
            rel[k] = rowSums(x, gx)[0];
        }
    }

    /**
     * The attention block of layer {@code l} on {@code x} [1, T, D] a chunk of query rows at a time (no gradient):
     * keys and values once for the sequence, each chunk's rows from {@link Transformer#attentionChunk} against the
     * keys up to its last row, so no T×T array exists. The result is owned by {@code out}.
     */
    private NDArray attentionChunked(int l, NDArray x, NDManager out) {
        NDArray y = null;
        try (NDManager lm = gm.newSubManager()) {
            NDArray[] kv = tr.attentionKeysValues(pass(lm), l, x); // [1, kvH, T, hd]
            List<NDArray> parts = new ArrayList<>();
            for (int c0 = 0; c0 < t; c0 += chunk) {
                int c1 = Math.min(t, c0 + chunk);
                try (NDManager cm = lm.newSubManager()) {
                    NDArray rowsIn = x.get(new NDIndex("0, {}:{}, :", c0, c1));
                    rowsIn.attach(cm);
                    NDArray keys = kv[0].get(new NDIndex(":, :, 0:{}, :", c1));
                    NDArray values = kv[1].get(new NDIndex(":, :, 0:{}, :", c1));
                    keys.attach(cm);
                    values.attach(cm);
                    NDArray part = tr.attentionChunk(pass(cm), l, rowsIn, keys, values, range(c0, c1));
                    part.attach(lm);
                    parts.add(part);
                }
            }
            y = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0).expandDims(0);
            y.attach(out);
        }
        return y;
    }

    /**
     * The global backward through attention sub-layer k a chunk of query rows at a time: per chunk, the rows'
     * output against leaves holding the keys and values up to its last row, seeded with g_{k+1} of those rows; the
     * chunks' gradients at the keys and values are summed, then carried to h_k through the key/value map in one more
     * backward, and added to the rows' own (query and residual) gradients. Same g_k as the one-block pass (tests),
     * with O(chunk·T) attention memory instead of O(T²).
     */
    private void globalAttentionChunked(int k) {
        int l = k / 2;
        try (NDManager pm = gm.newSubManager()) {
            NDArray x = leaf(h[k], pm);
            NDArray[] kv = tr.attentionKeysValues(pass(pm), l, x); // values only: no collector, no graph recorded
            NDArray dK = pm.zeros(kv[0].getShape(), kv[0].getDataType());
            NDArray dV = pm.zeros(kv[1].getShape(), kv[1].getDataType());
            List<NDArray> rowGrads = new ArrayList<>();
            for (int c0 = 0; c0 < t; c0 += chunk) {
                int c1 = Math.min(t, c0 + chunk);
                NDIndex upTo = new NDIndex(":, :, 0:{}, :", c1);
                try (NDManager cm = pm.newSubManager()) {
                    NDArray rowsIn = leaf(x.get(new NDIndex("0, {}:{}, :", c0, c1)), cm);
                    NDArray keys = leaf(kv[0].get(upTo), cm);
                    NDArray values = leaf(kv[1].get(upTo), cm);
                    NDArray gOut = g[k + 1].get(new NDIndex("0, {}:{}, :", c0, c1));
                    gOut.attach(cm);
                    try (GradientCollector gc = collector()) {
                        NDArray y = tr.attentionChunk(pass(cm), l, rowsIn, keys, values, range(c0, c1));
                        gc.backward(y.mul(gOut).sum());
                    }
                    dK.set(upTo, dK.get(upTo).add(keys.getGradient()));
                    dV.set(upTo, dV.get(upTo).add(values.getGradient()));
                    NDArray gr = rowsIn.getGradient().duplicate();
                    gr.attach(pm);
                    rowGrads.add(gr);
                }
            }
            try (GradientCollector gc = collector()) {
                NDArray[] kvx = tr.attentionKeysValues(pass(pm), l, x);
                gc.backward(kvx[0].mul(dK).sum().add(kvx[1].mul(dV).sum()));
            }
            NDArray rows = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(rowGrads), 0).expandDims(0);
            NDArray gx = x.getGradient().add(rows);
            g[k] = keep(gx);
            rel[k] = rowSums(x, gx)[0];
        }
    }

    private static int[] range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    /** Target nodes of node layer {@code k} whose rows are computed, ascending. */
    private int[] aboveThreshold(int k) {
        return java.util.stream.IntStream.range(0, t).filter(j -> Math.abs(rel[k][j]) > threshold).toArray();
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
            releaseKeysValues();
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
        double[] w = attentionRows(attnLayer, rs);
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

    /**
     * Rows {@code rs} (ascending) of attention layer {@code l} in ONE pass (closed form or one backward):
     * [n · width] with width = rs[n-1] + 1, row c at offset c·width.
     */
    double[] attentionRows(int l, int[] rs) {
        return tr.edgeRowsClosedForm(l) ? attentionRowsClosedForm(l, rs) : attentionRowsRepeated(l, rs);
    }

    /**
     * The rows in closed form ({@link Transformer#attentionEdgeRows}): no backward pass and nothing repeated per
     * copy. The copies' own rows h[j_b] and seeds g_{k+1}[j_b] are gathered ([B, D]), keys and values come from
     * {@link #layerKeysValues} (a prefix of width rs[n-1] + 1), and each copy costs a few passes over its H·width
     * scores. Same rows as the autograd definition (tests: against {@link #attentionRowsRepeated} and
     * {@link #fullRows}).
     */
    double[] attentionRowsClosedForm(int l, int[] rs) {
        int n = rs.length;
        int width = rs[n - 1] + 1;
        Transformer.EdgeKeys kv = layerKeysValues(l);
        try (NDManager pm = gm.newSubManager()) {
            long[] idx = new long[n];
            for (int c = 0; c < n; c++) {
                idx[c] = rs[c];
            }
            NDArray pick = pm.create(idx);
            NDArray hRows = h[2 * l].get(new NDIndex("0, {}, :", pick));
            NDArray gOut = g[2 * l + 1].get(new NDIndex("0, {}, :", pick));
            hRows.attach(pm);
            gOut.attach(pm);
            Transformer.EdgeRows r = tr.attentionEdgeRows(pass(pm), l, hRows, gOut, kv.prefix(width, pm), rs);
            double[] out = doubles(r.edges());
            double[] own = r.own().toDoubleArray();
            for (int c = 0; c < n; c++) {
                out[c * width + rs[c]] += own[c];
            }
            return out;
        }
    }

    /** The values of {@code a} as doubles, read as float64 or float32 (half types widened to float32 first). */
    private static double[] doubles(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) {
            return a.toDoubleArray();
        }
        float[] f = (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false)).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /**
     * What the closed form reads of attention layer l ({@link Transformer#edgeRowKeys}: keys and values, with biases
     * their linear parts, without the rules the norm's shrink) at every position, computed once per layer (the maps
     * are position-wise, so a prefix serves any batch); the previous layer's are released.
     */
    private Transformer.EdgeKeys layerKeysValues(int l) {
        if (kvLayer != l) {
            releaseKeysValues();
            kvManager = gm.newSubManager();
            NDArray src = h[2 * l].duplicate();
            src.attach(kvManager);
            kvCache = tr.edgeRowKeys(pass(kvManager), l, src);
            kvLayer = l;
        }
        return kvCache;
    }

    private void releaseKeysValues() {
        if (kvManager != null) {
            kvManager.close();
            kvManager = null;
            kvCache = null;
            kvLayer = -1;
        }
    }

    /** The rows by repeating the sub-layer's input h_k B times (any model, any rules). */
    double[] attentionRowsRepeated(int l, int[] rs) {
        int n = rs.length;
        int width = rs[n - 1] + 1;
        try (NDManager pm = gm.newSubManager()) {
            NDArray src = h[2 * l].get(new NDIndex(":, 0:{}, :", width));
            src.attach(pm);
            NDArray x = src.repeat(0, n);
            x.setRequiresGradient(true);
            float[] onehot = new float[n * t];
            for (int c = 0; c < n; c++) {
                onehot[c * t + rs[c]] = 1f;
            }
            // G: row j_b of the global gradient at the attention output, one per copy (a constant: sg)
            NDArray gRows = g[2 * l + 1].squeeze(0);
            gRows.attach(pm);
            NDArray gOut = pm.create(onehot, new Shape(n, t)).toType(dtype, false).matMul(gRows);
            try (GradientCollector gc = collector()) {
                NDArray y = tr.attentionBlockRows(pass(pm), l, x, rs);
                gc.backward(y.mul(gOut).sum());
            }
            NDArray gx = x.getGradient();
            return x.toType(DataType.FLOAT64, false).mul(gx.toType(DataType.FLOAT64, false)).sum(new int[] {2})
                    .toDoubleArray();
        }
    }

    /**
     * Reference rows by the plain definition (tests): the FULL sub-layer k on h_k repeated n times, copy b seeded with
     * G_b (zero except row rs[b] = g_{k+1}[rs[b]]); [n][T].
     */
    double[][] fullRows(int k, int[] rs) {
        int n = rs.length;
        try (NDManager pm = gm.newSubManager()) {
            NDArray x = h[k].duplicate();
            x.attach(pm);
            x = x.repeat(0, n);
            x.setRequiresGradient(true);
            float[] onehot = new float[n * t];
            for (int c = 0; c < n; c++) {
                onehot[c * t + rs[c]] = 1f;
            }
            NDArray gk = pm.create(onehot, new Shape(n, t, 1)).toType(dtype, false).mul(g[k + 1]);
            try (GradientCollector gc = collector()) {
                NDArray y = block(pass(pm), k, x);
                gc.backward(y.mul(gk).sum());
            }
            return rowSums(x, x.getGradient());
        }
    }

    /** The residual stream of node layer k, [1, T, D] (owned by the builder). */
    NDArray state(int k) {
        return h[k];
    }

    /** The global gradient at node layer k, [1, T, D] (owned by the builder). */
    NDArray gradient(int k) {
        return g[k];
    }

    /** Node relevance of node layer k (from the global pass), [T]. */
    double[] relevance(int k) {
        return rel[k].clone();
    }

    double logitDiff() {
        return logitDiff;
    }

    /** Prunes, keeps only ancestors of the target node, and assembles the graph. */
    AttributionGraph finish() {
        if (globalNext >= 0 || rows != null) {
            throw new IllegalStateException("graph is not computed yet");
        }
        timings.put("rows", (System.nanoTime() - started) / 1e6);
        long p0 = System.nanoTime();
        for (int l = 0; l < layers; l++) {
            if (selections[2 * l] == null) { // no rows above the threshold
                selections[2 * l] = new EdgeSelector(request.edgeMass(), 0).select();
            }
            int[] mlpRows = aboveThreshold(2 * l + 2);
            EdgeSelector mlp = new EdgeSelector(request.edgeMass(), mlpRows.length);
            for (int j : mlpRows) {
                mlp.addVertical(j, rel[2 * l + 1][j]);
            }
            selections[2 * l + 1] = mlp.select();
        }
        int nodeLayers = 2 * layers + 1;
        boolean[][] alive = new boolean[nodeLayers][t];
        alive[2 * layers][position] = true;
        List<AttributionGraph.Edge> edges = new ArrayList<>();
        long[] ancestors = new long[2 * layers];
        int[] edgesInto = new int[nodeLayers];
        double absAll = 0;
        double absVertical = 0;
        double absAttn = 0;
        double absAttnVertical = 0;
        double lookBackWeighted = 0;
        double lookBackSum = 0;
        long attnEdges = 0;
        for (int k = 2 * layers - 1; k >= 0; k--) {
            EdgeSelector.Selection s = selections[k];
            for (int e = 0; e < s.kept(); e++) {
                int j = s.targets()[e];
                if (!alive[k + 1][j]) {
                    continue;
                }
                int i = s.sources()[e];
                double w = s.weights()[e];
                alive[k][i] = true;
                ancestors[k]++;
                edgesInto[k + 1]++;
                edges.add(new AttributionGraph.Edge(id(k, i), id(k + 1, j), w));
                double a = Math.abs(w);
                absAll += a;
                if (i == j) {
                    absVertical += a;
                }
                if (k % 2 == 0) {
                    absAttn += a;
                    attnEdges++;
                    lookBackWeighted += a * (j - i);
                    lookBackSum += j - i;
                    if (i == j) {
                        absAttnVertical += a;
                    }
                }
            }
        }
        List<AttributionGraph.Node> nodes = new ArrayList<>();
        List<AttributionGraph.LayerCount> counts = new ArrayList<>();
        for (int k = 0; k < nodeLayers; k++) {
            int count = 0;
            for (int j = 0; j < t; j++) {
                if (alive[k][j]) {
                    nodes.add(new AttributionGraph.Node(id(k, j), k / 2, stage(k), j, rel[k][j]));
                    count++;
                }
            }
            counts.add(new AttributionGraph.LayerCount(k / 2, stage(k), count, edgesInto[k]));
        }
        List<AttributionGraph.Pruning> pruning = new ArrayList<>();
        long rowsComputed = 0;
        for (int k = 0; k < 2 * layers; k++) {
            EdgeSelector.Selection s = selections[k];
            rowsComputed += s.rows();
            pruning.add(new AttributionGraph.Pruning((k + 1) / 2, stage(k + 1), k % 2 == 0 ? "attention" : "mlp",
                    s.threshold(), s.kept(), s.total(), s.rows(), ancestors[k], s.keptMass(),
                    (double) s.kept() / ((double) t * t), s.peakCandidates()));
        }
        timings.put("prune", (System.nanoTime() - p0) / 1e6);
        AttributionGraph.Metrics metrics = new AttributionGraph.Metrics(t, position, logitDiff,
                request.nodeThreshold(), request.edgeMass(), batch, chunk, rowsComputed,
                absAll == 0 ? 0 : absVertical / absAll, absAttn == 0 ? 0 : absAttnVertical / absAttn,
                absAttn == 0 ? 0 : lookBackWeighted / absAttn, attnEdges == 0 ? 0 : lookBackSum / attnEdges, counts,
                timings);
        return new AttributionGraph(nodes, edges, pruning, metrics);
    }

    private static String stage(int k) {
        return k % 2 == 0 ? AttributionGraph.INPUT : AttributionGraph.POST_ATTENTION;
    }

    private static String id(int k, int position) {
        return AttributionGraph.nodeId(k / 2, stage(k), position);
    }

    @Override
    public void close() {
        releaseKeysValues();
        gm.close();
    }
}
