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
import dev.faultline.engine.arch.AttentionRows;
import dev.faultline.engine.arch.Pass;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.model.HfLanguageModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The passes of one attribution graph ({@link GraphBuilder} says which, in what order): the checkpointed forward
 * (the residual stream h_k at every node layer), the global backward one sub-layer at a time (g_k and node relevance
 * R_k), whole or a chunk of query rows at a time, and the attention edge rows of a batch of target rows, in closed
 * form or by one backward over repeated copies. Holds h, g and R in its own manager until {@link #close()}.
 */
final class GraphPasses implements AutoCloseable {

    private final GraphRequest request;
    private final Transformer tr;
    private final int layers;
    private final int t;
    private final int position;
    private final boolean rules;
    private final boolean detach;
    private final DataType dtype;
    private final int chunk;
    private final NDManager gm;
    private final NDArray[] h;
    private final NDArray[] g;
    private final double[][] rel;
    private double logitDiff;
    private AttentionRows.EdgeKeys kvCache; // keys and values of layer kvLayer, [kvH, hd, T] each (closed-form rows)
    private int kvLayer = -1;
    private NDManager kvManager;

    /** Runs the forward and the head's backward; {@code chunk}: query rows per chunk of the full-sequence passes. */
    GraphPasses(HfLanguageModel model, GraphRequest request, int chunk) {
        this.request = request;
        this.tr = model.transformer();
        this.layers = model.config().numLayers();
        this.t = request.ids().length;
        this.position = request.resolvedPosition();
        this.rules = request.method() == Method.ATTNLRP;
        this.detach = request.softmax() == SoftmaxRule.DETACH;
        this.dtype = model.dtype().dataType();
        this.chunk = chunk;
        int nodeLayers = 2 * layers + 1;
        h = new NDArray[nodeLayers];
        g = new NDArray[nodeLayers];
        rel = new double[nodeLayers][];
        gm = model.manager().newSubManager();
        try {
            forward();
        } catch (RuntimeException e) {
            gm.close();
            throw e;
        }
    }

    /** A pass under the request's rules, without probes. */
    Pass pass(NDManager pm) {
        return new Pass(pm, rules, detach, false);
    }

    /** A manager under the passes' own, for arrays of one step. */
    NDManager newSubManager() {
        return gm.newSubManager();
    }

    DataType dtype() {
        return dtype;
    }

    private static GradientCollector collector() {
        return Engine.getEngine("PyTorch").newGradientCollector();
    }

    /** Forward once, keeping the residual stream at every node layer, then the head's backward: g_2L and Δℓ. */
    private void forward() {
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
                target = request.correct() == null
                        ? logits.get(request.wrong())
                        : logits.get(request.wrong()).sub(logits.get(request.correct()));
                gc.backward(target);
            }
            logitDiff = target.toType(DataType.FLOAT64, false).getDouble();
            NDArray gx = x.getGradient();
            g[2 * layers] = keep(gx);
            rel[2 * layers] = rowSums(x, gx)[0];
        }
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
    static double[][] rowSums(NDArray a, NDArray b) {
        NDArray r = a.toType(DataType.FLOAT64, false)
                .mul(b.toType(DataType.FLOAT64, false))
                .sum(new int[] {2});
        int n = (int) r.getShape().get(0);
        int m = (int) r.getShape().get(1);
        double[] flat = r.toDoubleArray();
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * m, out[i], 0, m);
        }
        return out;
    }

    /** Sub-layer k (attention block for even k, MLP block for odd k) on {@code x}. */
    NDArray block(Pass p, int k, NDArray x) {
        return k % 2 == 0 ? tr.attentionBlock(p, k / 2, x) : tr.mlpBlock(p, k / 2, x);
    }

    /** Step k of the global backward: g_k and R_k from g_{k+1}, one sub-layer. */
    void globalStep(int k) {
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
                    NDArray part = tr.rows().attentionChunk(pass(cm), l, rowsIn, keys, values, range(c0, c1));
                    part.attach(lm);
                    parts.add(part);
                }
            }
            y = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0)
                    .expandDims(0);
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
                        NDArray y = tr.rows().attentionChunk(pass(cm), l, rowsIn, keys, values, range(c0, c1));
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
            NDArray rows = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(rowGrads), 0)
                    .expandDims(0);
            NDArray gx = x.getGradient().add(rows);
            g[k] = keep(gx);
            rel[k] = rowSums(x, gx)[0];
        }
    }

    private static int[] range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    /**
     * Rows {@code rs} (ascending) of attention layer {@code l} in ONE pass (closed form or one backward):
     * [n · width] with width = rs[n-1] + 1, row c at offset c·width.
     */
    double[] attentionRows(int l, int[] rs) {
        return tr.rows().edgeRowsClosedForm(l) ? attentionRowsClosedForm(l, rs) : attentionRowsRepeated(l, rs);
    }

    /**
     * The rows in closed form ({@link Transformer#attentionEdgeRows}): no backward pass and nothing repeated per
     * copy. The copies' own rows h[j_b] and seeds g_{k+1}[j_b] are gathered ([B, D]), keys and values come from
     * {@link #layerKeysValues} (a prefix of width rs[n-1] + 1), and each copy costs a few passes over its H·width
     * scores. Same rows as the autograd definition (tests: against {@link #attentionRowsRepeated} and
     * {@code FullRows} in the tests).
     */
    double[] attentionRowsClosedForm(int l, int[] rs) {
        int n = rs.length;
        int width = rs[n - 1] + 1;
        AttentionRows.EdgeKeys kv = layerKeysValues(l);
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
            AttentionRows.EdgeRows r = tr.rows().attentionEdgeRows(pass(pm), l, hRows, gOut, kv.prefix(width, pm), rs);
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
    private AttentionRows.EdgeKeys layerKeysValues(int l) {
        if (kvLayer != l) {
            releaseKeysValues();
            kvManager = gm.newSubManager();
            NDArray src = h[2 * l].duplicate();
            src.attach(kvManager);
            kvCache = tr.rows().edgeRowKeys(pass(kvManager), l, src);
            kvLayer = l;
        }
        return kvCache;
    }

    void releaseKeysValues() {
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
            NDArray gOut =
                    pm.create(onehot, new Shape(n, t)).toType(dtype, false).matMul(gRows);
            try (GradientCollector gc = collector()) {
                NDArray y = tr.rows().attentionBlockRows(pass(pm), l, x, rs);
                gc.backward(y.mul(gOut).sum());
            }
            NDArray gx = x.getGradient();
            return x.toType(DataType.FLOAT64, false)
                    .mul(gx.toType(DataType.FLOAT64, false))
                    .sum(new int[] {2})
                    .toDoubleArray();
        }
    }

    /** The residual stream of node layer k, [1, T, D] (owned by the passes). */
    NDArray state(int k) {
        return h[k];
    }

    /** The global gradient at node layer k, [1, T, D] (owned by the passes). */
    NDArray gradient(int k) {
        return g[k];
    }

    /** Node relevance of node layer k (from the global pass), [T]; null before the global backward reaches it. */
    double[] relevance(int k) {
        return rel[k];
    }

    double logitDiff() {
        return logitDiff;
    }

    @Override
    public void close() {
        releaseKeysValues();
        gm.close();
    }
}
