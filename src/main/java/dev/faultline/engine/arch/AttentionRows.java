package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.faultline.engine.model.HfConfig;
import dev.faultline.engine.model.Rope;

/**
 * The attention block read one query position at a time, for the attribution graph: a row per batch copy
 * ({@link #attentionBlockRows}), chunks of one sequence's rows against its keys and values
 * ({@link #attentionChunk}), and the edge rows of gradient×input in closed form, without autograd
 * ({@link #attentionEdgeRows}). Same values and rules as {@link Transformer}'s forward, on the same {@link Ops}.
 */
public final class AttentionRows {

    private final HfConfig config;
    private final ModelWeights weights;
    private final DataType dtype;
    private final Ops ops;

    AttentionRows(HfConfig config, ModelWeights weights, DataType dtype, Ops ops) {
        this.config = config;
        this.weights = weights;
        this.dtype = dtype;
        this.ops = ops;
    }

    /**
     * The attention block's output at ONE position per batch copy: copy {@code c} of {@code h} [B, T, D] is read at
     * position {@code rows[c]} only, [B, D]. The query is computed at that position alone (keys and values over the
     * whole copy, causal and windowed as in {@link Transformer#attentionBlock}), so a copy costs O(T·D) instead of
     * O(T²).
     */
    public NDArray attentionBlockRows(Pass p, int layer, NDArray h, int[] rows) {
        int b = (int) h.getShape().get(0);
        int t = (int) h.getShape().get(1);
        if (rows.length != b) {
            throw new IllegalArgumentException(rows.length + " rows for " + b + " copies");
        }
        float[] onehot = new float[b * t];
        for (int c = 0; c < b; c++) {
            if (rows[c] < 0 || rows[c] >= t) {
                throw new IllegalArgumentException("row " + rows[c] + " is outside [0, " + t + ")");
            }
            onehot[c * t + rows[c]] = 1f;
        }
        NDArray select = p.manager.create(onehot, new Shape(b, t, 1)).toType(dtype, false);
        NDArray hRow = h.mul(select).sum(new int[] {1}); // [B, D]
        NDArray[] kv = ops.keysValues(p, layer, h, false);
        return attentionRowsFrom(p, layer, hRow, kv[0], kv[1], rows);
    }

    /**
     * What {@link #attentionEdgeRows} reads of a layer's keys and values, each transposed to a contiguous
     * [kvHeads, head_dim, T] (a prefix of the last axis is then a plain strided matrix): the keys (after norms and
     * RoPE) and values; their linear parts (the same maps without the norm's bias and the projections' biases)
     * when {@link #attentionHasConstantTerms}, else null; and without the rules the norm's shrink ε/(ms+ε) per
     * position, [1, T] (what the gradient of a normaliser that is not detached leaves of a factor's gradient×input:
     * J·h = ρ·x⁰), else null; likewise without the rules the k norm's shrink of the keys' share, [kvH, 1, T] for a
     * per-head norm (Qwen3), [1, 1, T] for one over the whole projection (OLMo), else null.
     */
    public record EdgeKeys(
            NDArray keysT,
            NDArray valuesT,
            NDArray keysLinearT,
            NDArray valuesLinearT,
            NDArray shrink,
            NDArray keyShrink) {

        /** Views of the first {@code width} positions, attached to {@code m}. */
        public EdgeKeys prefix(int width, NDManager m) {
            return new EdgeKeys(
                    view(keysT, width, m),
                    view(valuesT, width, m),
                    view(keysLinearT, width, m),
                    view(valuesLinearT, width, m),
                    view(shrink, width, m),
                    view(keyShrink, width, m));
        }

        private static NDArray view(NDArray a, int width, NDManager m) {
            if (a == null) {
                return null;
            }
            NDArray v = a.get(new NDIndex("..., 0:{}", width));
            v.attach(m);
            return v;
        }
    }

    /**
     * The {@link EdgeKeys} of attention layer {@code layer} for the residual stream {@code h} [1, T, D] at every
     * position (the maps are position-wise, so a prefix serves any batch of rows). Requires
     * {@link #edgeRowsClosedForm}.
     */
    public EdgeKeys edgeRowKeys(Pass p, int layer, NDArray h) {
        if (!edgeRowsClosedForm(layer)) {
            throw new IllegalArgumentException("layer " + layer + " has no closed-form rows");
        }
        NDArray[] kv = ops.keysValues(p, layer, h, false);
        NDArray[] lin = attentionHasConstantTerms(layer) ? ops.keysValues(p, layer, h, true) : null;
        LayerWeights w = weights.layers().get(layer);
        NDArray shrink = p.rules || w.attnNormW() == null
                ? null
                : normShrink(h.squeeze(0)).reshape(1, -1);
        NDArray keyShrink = null;
        if (!p.rules && w.kNorm() != null) { // the k norm's own shrink, per key/value head or one for all
            int t = (int) h.getShape().get(1);
            NDArray raw = Ops.linear(
                    w.attnNormW() == null ? h.squeeze(0) : ops.norm(p, h.squeeze(0), w.attnNormW(), null, layer),
                    w.k(),
                    null); // [T, kvH·hd]
            keyShrink = config.perHeadQkNorm()
                    ? normShrink(raw.reshape(t, config.numKvHeads(), config.headDim()))
                            .reshape(t, -1)
                            .transpose(1, 0)
                            .reshape(-1, 1, t)
                    : normShrink(raw).reshape(1, 1, t);
        }
        return new EdgeKeys(
                transposed(kv[0]),
                transposed(kv[1]),
                lin == null ? null : transposed(lin[0]),
                lin == null ? null : transposed(lin[1]),
                shrink,
                keyShrink);
    }

    /** [1, kvH, T, hd] to a contiguous [kvH, hd, T]. */
    private static NDArray transposed(NDArray kv) {
        Shape s = kv.getShape();
        return kv.squeeze(0).transpose(0, 2, 1).flatten().reshape(s.get(1), s.get(3), s.get(2));
    }

    /**
     * ρ = ε/(ms + ε) of the pre-attention norm per row of {@code x} [n, D] (ms: the mean square, of the centred row
     * for LayerNorm), [n, 1]: gradient×input through a norm whose normaliser is not detached is ρ times that
     * through the same norm with it detached (the normaliser's gradient takes the rest: the norm is scale-free).
     */
    private NDArray normShrink(NDArray x) {
        NDArray c = config.centredNorm() ? x.sub(x.mean(new int[] {x.getShape().dimension() - 1}, true)) : x;
        return ops.rms(c).square().pow(-1).mul(config.normEps());
    }

    /**
     * The attention block's output at position {@code rows[c]} of copy c, [B, D], from that position's residual
     * {@code hRows} [B, D] and the copy's keys and values (as {@link Transformer#attentionKeysValues} returns them,
     * [B, kvHeads, T', head_dim], T' > every row): the query is computed at the row alone.
     */
    public NDArray attentionRowsFrom(Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows) {
        return rowsAttention(p, layer, hRows, keys, values, rows, false);
    }

    /**
     * The attention block's output at the given positions of ONE sequence, [n, D], from those positions' residual
     * {@code hRows} [n, D] and the sequence's keys and values [1, kvHeads, T', head_dim] (T' > every row; they may
     * require a gradient): a chunk of query rows of {@link Transformer#attentionBlock}, same values, same rules. The
     * rows' queries are stacked per key/value head, [kvH, n·H/kvH, hd] against [kvH, hd, T'], so neither the keys nor the
     * values are ever expanded per row: one chunk's attention holds O(n·H·T') numbers.
     */
    public NDArray attentionChunk(Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows) {
        if (keys.getShape().get(0) != 1 || values.getShape().get(0) != 1) {
            throw new IllegalArgumentException("a chunk attends to one sequence's keys, not " + keys.getShape());
        }
        return rowsAttention(p, layer, hRows, keys, values, rows, true);
    }

    /**
     * The rows' attention block output. {@code kvMajor}: one sequence's query rows stacked per key/value head
     * (keys and values [1, kvH, T', hd]); otherwise copy c's row against copy c's keys and values.
     */
    private NDArray rowsAttention(
            Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows, boolean kvMajor) {
        NDManager m = p.manager;
        int b = (int) hRows.getShape().get(0);
        int t = (int) keys.getShape().get(2);
        LayerWeights w = weights.layers().get(layer);
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = heads / kvHeads;
        float[] maskData = new float[b * t]; // the mask per copy, [B, 1, 1, T]
        long[] posQ = positions(rows, t);
        int win = w.slidingWindow();
        for (int c = 0; c < b; c++) {
            int lo = win > 0 ? Math.max(0, rows[c] - win + 1) : 0; // visible: lo .. rows[c]
            java.util.Arrays.fill(maskData, c * t, c * t + lo, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(maskData, c * t + rows[c] + 1, (c + 1) * t, Float.NEGATIVE_INFINITY);
        }
        NDArray mask = m.create(maskData, new Shape(b, 1, 1, t)).toType(dtype, false);
        NDArray q = rowQueries(p, layer, hRows, posQ, false);
        q = p.scale(p.half(q), 1.0 / Math.sqrt(hd)); // never mul(Number) on the gradient path: Pass.scale
        NDArray k = p.half(keys);
        // one query position per copy: the heads sharing a key/value head (HF repeat_kv groups them consecutively)
        // become that group's query rows, [B, kvH, G, hd], so keys and values are never repeated
        q = q.reshape(b, kvHeads, group, hd);
        NDArray raw;
        if (kvMajor) { // [kvH, B·G, hd] × [kvH, hd, T] → [kvH, B, G, T], then the mask per row [1, B, 1, T]
            raw = q.transpose(1, 0, 2, 3)
                    .reshape(kvHeads, (long) b * group, hd)
                    .matMul(k.squeeze(0).transpose(0, 2, 1))
                    .reshape(kvHeads, b, group, t);
            mask = mask.reshape(1, b, 1, t);
        } else {
            raw = q.matMul(k.transpose(0, 1, 3, 2)); // [B, kvH, G, T]
        }
        NDArray scores = raw.add(mask);
        NDArray attn = (p.detachSoftmax ? scores.stopGradient() : scores).softmax(3);
        NDArray out;
        if (kvMajor) {
            out = attn.reshape(kvHeads, (long) b * group, t)
                    .matMul(values.squeeze(0))
                    .reshape(kvHeads, b, group, hd)
                    .transpose(1, 0, 2, 3); // [B, kvH, G, hd]
        } else {
            out = attn.matMul(values);
        }
        if (!p.detachSoftmax) {
            out = p.half(out);
        }
        out = out.reshape(b, (long) heads * hd);
        NDArray a = Ops.linear(out, w.o(), p.bias(w.ob(), layer));
        if (w.postAttnNorm() != null) {
            a = ops.norm(p, a, w.postAttnNorm(), null, layer);
        }
        return hRows.add(a);
    }

    /**
     * The edge rows of {@link #attentionEdgeRows}: {@code edges} [B, T'] in the model's dtype (products and the sum
     * over heads in it, as a backward pass would), and {@code own} [B] in float64, the part of row c that belongs to
     * its own position rows[c] (residual and query) on top of {@code edges[c, rows[c]]}.
     */
    public record EdgeRows(NDArray edges, NDArray own) {}

    /** The additive mask of a hidden key in {@link #attentionEdgeRows}: finite, and far below any score. */
    private static final float HIDDEN = -1e30f;

    /**
     * Whether {@link #attentionEdgeRows} applies to {@code layer}, under either method. Under the rules (normalisers
     * detached) the queries, keys and values are affine maps of the residual stream, each its linear part plus
     * constant terms (the norm's bias, the projections' biases: GPT-2, Qwen2). Without the rules (gradient×input)
     * a norm's normaliser is not detached, but an RMS norm is scale-free, so the gradient×input through it is ρ =
     * ε/(ms+ε) times that through the same norm detached: each factor's share shrinks by its norms' ρ
     * ({@link EdgeKeys}), and a norm after the block passes G through its Jacobian at the row. Not for a q/k norm
     * over a biased projection (its normaliser would see the bias; no supported family has both).
     */
    public boolean edgeRowsClosedForm(int layer) {
        LayerWeights w = weights.layers().get(layer);
        return !((w.qNorm() != null || w.kNorm() != null) && (w.qb() != null || w.kb() != null));
    }

    /**
     * Whether the queries, keys or values of {@code layer} have constant terms (a norm bias or a q/k/v bias), so
     * that {@link #attentionEdgeRows} needs their linear parts ({@link EdgeKeys}) besides them.
     */
    public boolean attentionHasConstantTerms(int layer) {
        LayerWeights w = weights.layers().get(layer);
        return w.attnNormB() != null || w.qb() != null || w.kb() != null || w.vb() != null;
    }

    /**
     * The attention block's edge rows in closed form, without autograd: for copy c with target row j = rows[c] and
     * seed G_c = {@code gOut[c]} (the global gradient at the block's output, row j), the gradient×input at every
     * source position i ≤ j of ⟨block(h)[j], sg(G_c)⟩, the quantity the plain definition takes by a backward
     * pass. With u_h = ∂/∂o_h (the head outputs o_h = Σ_i a[h,i] v_i, a half of it under the uniform rule), ∂a[h,i] =
     * u_h·v_i, and under the rules (gradient×input of a factor = that of the residual through it, Euler):
     * <pre>
     *   value part at i: Σ_h a[h,i] ∂a[h,i]
     *   key part at i:   ½ Σ_h s[h,i] ∂s[h,i],  ∂s[h,i] = a[h,i] (∂a[h,i] − Σ_i' a[h,i'] ∂a[h,i'])  (softmax grad)
     *   own row j:       h_j·G_c + ½ Σ_h Σ_i s[h,i] ∂s[h,i]   (residual, and the query: the same sum as the keys')
     * </pre>
     * (s = q·kᵀ/√d; the detach rule: no score gradient, no halving of A·V). With constant terms (GPT-2, Qwen2) a
     * factor's gradient×input is that of its linear part x⁰ ({@link EdgeKeys}, the query's likewise): value part
     * Σ_h a ∂a⁰ with ∂a⁰ = u_h·v⁰_i, key part ½ Σ_h (q·k⁰_i/√d) ∂s, query part ½ Σ_h Σ_i (q⁰·k_i/√d) ∂s, while the
     * softmax and its backward use the full q, k, v; what the constants receive stays with them (bias-absorbed), as
     * in a backward pass. Without the rules (gradient×input) no halving, and each factor's share is multiplied by its
     * position's norm shrink ρ ({@link EdgeKeys#shrink}; the query's by the row's), the keys' and query's per head
     * by their q/k norms' too ({@link EdgeKeys#keyShrink}), and a norm after the block (OLMo) takes G through its
     * backward at the row's output (not only its scale, as under the rules). The keys and values
     * ({@code keys}: a prefix of {@link #edgeRowKeys}' for the whole sequence, made once per layer) are shared by the
     * copies; the copies' queries are stacked per key/value head in the order (group head, copy), so scores and
     * weights are one contiguous [H, B, T'] block: a handful of passes over B·H·T' numbers, one matrix product per
     * key/value head, no graph recorded. Requires {@link #edgeRowsClosedForm}.
     */
    public EdgeRows attentionEdgeRows(Pass p, int layer, NDArray hRows, NDArray gOut, EdgeKeys keys, int[] rows) {
        if (!edgeRowsClosedForm(layer)) {
            throw new IllegalArgumentException("layer " + layer + " has no closed-form rows");
        }
        boolean constants = attentionHasConstantTerms(layer);
        if (constants != (keys.keysLinearT() != null)
                || (p.rules || weights.layers().get(layer).attnNormW() == null) != (keys.shrink() == null)
                || (p.rules || weights.layers().get(layer).kNorm() == null) != (keys.keyShrink() == null)) {
            throw new IllegalArgumentException("layer " + layer + ": keys made for other rules or another layer");
        }
        NDArray keysT = keys.keysT();
        NDArray valuesT = keys.valuesT();
        NDManager m = p.manager;
        int b = (int) hRows.getShape().get(0);
        int t = (int) keysT.getShape().get(2);
        LayerWeights w = weights.layers().get(layer);
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = heads / kvHeads;
        long[] posQ = positions(rows, t);
        int win = w.slidingWindow();
        // the mask covers the columns some copy does not see: from the first row's next key on (all of them with a
        // sliding window), so a batch of nearby rows masks a narrow band, not B·T' entries
        int from = win > 0 ? 0 : t;
        for (int row : rows) {
            from = Math.min(from, row + 1);
        }
        int band = t - from;
        float[] maskData = new float[b * band];
        for (int c = 0; c < b; c++) {
            int lo = win > 0 ? Math.max(0, rows[c] - win + 1) : 0; // visible: lo .. rows[c]
            java.util.Arrays.fill(maskData, c * band, c * band + Math.max(0, lo - from), HIDDEN);
            java.util.Arrays.fill(maskData, c * band + rows[c] + 1 - from, (c + 1) * band, HIDDEN);
        }
        NDArray q = p.scale(rowQueries(p, layer, hRows, posQ, false), 1.0 / Math.sqrt(hd));
        // s = q·kᵀ/√d, [H, B, T'], masked in place on the band: a hidden score becomes ≈ HIDDEN, finite, and its
        // weight exactly 0, so s ⊙ ∂s below is 0 there (an infinite mask would give −∞ · 0 = NaN)
        NDArray raw = perKvHead(q, b, kvHeads, group, hd).matMul(keysT).reshape(heads, b, t);
        if (band > 0) { // a basic slice is a view: the in-place add masks raw itself
            raw.get(new NDIndex(":, :, {}:", from))
                    .addi(m.create(maskData, new Shape(b, band)).toType(dtype, false));
        }
        NDArray attn = raw.softmax(2);
        NDArray gA = gOut;
        if (w.postAttnNorm() != null) { // post-norm (OLMo-2/3): G through the norm's backward at the row's output
            NDArray o = attn.reshape(kvHeads, (long) group * b, t)
                    .matMul(valuesT.transpose(0, 2, 1))
                    .reshape(kvHeads, group, b, hd)
                    .transpose(2, 0, 1, 3)
                    .reshape(b, (long) heads * hd);
            NDArray lin = Ops.linear(o, w.o(), w.ob());
            NDArray den = ops.rms(lin);
            NDArray gw = gOut.mul(w.postAttnNorm());
            gA = gw.div(den); // under the rules its normaliser is detached, so it only scales G
            if (!p.rules) { // Jᵀg = w⊙g/r − z·mean(w⊙g⊙z)/r³
                gA = gA.sub(lin.mul(gw.mul(lin).mean(new int[] {1}, true)).div(den.pow(3)));
            }
        }
        NDArray u = gA.matMul(w.o()); // ∂/∂(concatenated head outputs), [B, H·hd]
        if (!p.detachSoftmax && p.productShare() != 1) {
            u = p.scale(u, p.productShare()); // uniform rule on A·V
        }
        NDArray uKv = perKvHead(u, b, kvHeads, group, hd);
        NDArray dA = uKv.matMul(valuesT).reshape(heads, b, t);
        NDArray own = Ops.f64(hRows).mul(Ops.f64(gOut)).sum(new int[] {1}); // residual
        // without the rules: the row's own shrink for the query's part, [B], and the q norm's per head, [H, B]
        NDArray rowShrink =
                keys.shrink() == null ? null : Ops.f64(normShrink(hRows)).reshape(b);
        NDArray queryShrink = p.rules || w.qNorm() == null ? null : queryNormShrink(p, layer, hRows);
        EdgeRows r = constants
                ? constantTermRows(p, layer, hRows, posQ, q, uKv, raw, attn, dA, keys, rowShrink, own)
                : plainRows(p, raw, attn, dA, rowShrink, keys.keyShrink(), queryShrink, own);
        return keys.shrink() == null ? r : new EdgeRows(r.edges().muli(keys.shrink()), r.own());
    }

    /**
     * {@link #attentionEdgeRows} without constant terms, in place (three score-sized arrays in all): e = a ⊙ ∂a into
     * dA; ∂s = e − a ⊙ Σ_i e into it too (the softmax backward), a ⊙ Σ_i e into attn; s ⊙ ∂s into raw. The query's
     * part is the keys' summed over the keys (times the row's shrink, if any). Without the rules a k norm's shrink
     * {@code keyShrink} ([kvH | 1, 1, T']) weighs each head's key part, a q norm's {@code queryShrink} ([H, B]) each
     * head's query part.
     */
    private EdgeRows plainRows(
            Pass p,
            NDArray raw,
            NDArray attn,
            NDArray dA,
            NDArray rowShrink,
            NDArray keyShrink,
            NDArray queryShrink,
            NDArray own) {
        NDArray e = dA.muli(attn);
        NDArray edges = e.sum(new int[] {0}); // values, [B, T']
        if (!p.detachSoftmax) {
            NDArray ds = e.subi(attn.muli(e.sum(new int[] {2}, true)));
            NDArray sds = raw.muli(ds); // s ∂s, [H, B, T']
            Shape hbt = sds.getShape();
            NDArray keysPart = keyShrink == null
                    ? sds.sum(new int[] {0}) // Σ_h s ∂s, [B, T']
                    : sds.reshape(keyShrink.getShape().get(0), -1, hbt.get(2))
                            .mul(keyShrink)
                            .reshape(hbt)
                            .sum(new int[] {0});
            NDArray query = keyShrink == null && queryShrink == null
                    ? Ops.f64(keysPart).sum(new int[] {1})
                    : (queryShrink == null
                                    ? Ops.f64(sds.sum(new int[] {2}))
                                    : Ops.f64(sds.sum(new int[] {2})).muli(queryShrink))
                            .sum(new int[] {0});
            if (p.productShare() != 1) {
                keysPart = p.scale(keysPart, p.productShare()); // ½ under the uniform rule
                query = query.muli(p.productShare());
            }
            edges = edges.addi(keysPart);
            own = own.addi(rowShrink == null ? query : query.muli(rowShrink));
        }
        return new EdgeRows(edges, own);
    }

    /**
     * ρ = ε/(ms + ε) of the q norm at each row of {@code hRows} [B, D] per head (Qwen3's per-head norm; one for all
     * heads for OLMo's over the whole projection), as [H, B] float64: what the norm's gradient leaves of the query's
     * gradient×input.
     */
    private NDArray queryNormShrink(Pass p, int layer, NDArray hRows) {
        LayerWeights w = weights.layers().get(layer);
        int b = (int) hRows.getShape().get(0);
        int heads = config.numHeads();
        NDArray raw = Ops.linear(
                w.attnNormW() == null ? hRows : ops.norm(p, hRows, w.attnNormW(), null, layer),
                w.q(),
                null); // [B, H·hd]
        NDArray rho = config.perHeadQkNorm()
                ? normShrink(raw.reshape(b, heads, config.headDim())).reshape(b, heads)
                : normShrink(raw).repeat(1, heads); // [B, H]
        return Ops.f64(rho).transpose(1, 0);
    }

    /**
     * {@link #attentionEdgeRows} with constant terms: the softmax backward from the full scores {@code raw} [H, B,
     * T'], weights {@code attn} and ∂a = {@code dA} (u·v), each factor's part from its linear part: the values' v⁰,
     * the keys' k⁰ (q·k⁰/√d against ∂s), the query's q⁰ (q⁰·Σ_i ∂s k_i/√d, one product with the keys, summed into
     * {@code own}). Two score-sized products more than without constants.
     */
    private EdgeRows constantTermRows(
            Pass p,
            int layer,
            NDArray hRows,
            long[] posQ,
            NDArray q,
            NDArray uKv,
            NDArray raw,
            NDArray attn,
            NDArray dA,
            EdgeKeys keys,
            NDArray rowShrink,
            NDArray own) {
        NDArray keysT = keys.keysT();
        int b = (int) hRows.getShape().get(0);
        int t = (int) keysT.getShape().get(2);
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = heads / kvHeads;
        NDArray edges =
                uKv.matMul(keys.valuesLinearT()).reshape(heads, b, t).muli(attn).sum(new int[] {0}); // Σ_h a ∂a⁰
        if (p.detachSoftmax) {
            return new EdgeRows(edges, own);
        }
        NDArray e = dA.muli(attn);
        NDArray ds = e.subi(attn.muli(e.sum(new int[] {2}, true))); // [H, B, T']
        NDArray qKv = perKvHead(q, b, kvHeads, group, hd); // q/√d, [kvH, G·B, hd]
        double share = p.productShare();
        NDArray keysPart = p.scale(
                qKv.matMul(keys.keysLinearT()).reshape(heads, b, t).muli(ds).sum(new int[] {0}), share);
        edges = edges.addi(keysPart);
        // the query's: q⁰/√d · Σ_i ∂s[h,i] k_i per head, its share, summed over heads, on the row's own position
        NDArray q0 =
                perKvHead(p.scale(rowQueries(p, layer, hRows, posQ, true), 1.0 / Math.sqrt(hd)), b, kvHeads, group, hd);
        NDArray dsK = ds.reshape(kvHeads, (long) group * b, t).matMul(keysT.transpose(0, 2, 1)); // [kvH, G·B, hd]
        NDArray queryPart =
                p.scale(Ops.f64(q0.mul(dsK)).reshape(kvHeads, group, b, hd).sum(new int[] {0, 1, 3}), share);
        own = own.addi(rowShrink == null ? queryPart : queryPart.muli(rowShrink));
        return new EdgeRows(edges, own);
    }

    /**
     * The queries of the residual rows {@code hRows} [B, D] at positions {@code posQ}: norm, projection, q norms and
     * RoPE as in {@link Transformer#attentionBlock}, [B, H, 1, head_dim] (before the 1/√d scaling and the uniform rule).
     */
    private NDArray rowQueries(Pass p, int layer, NDArray hRows, long[] posQ, boolean linearPart) {
        LayerWeights w = weights.layers().get(layer);
        int b = (int) hRows.getShape().get(0);
        int hd = config.headDim();
        NDArray xRow = w.attnNormW() == null
                ? hRows
                : ops.norm(p, hRows, w.attnNormW(), linearPart ? null : w.attnNormB(), layer);
        NDArray q = Ops.linear(xRow, w.q(), linearPart ? null : p.bias(w.qb(), layer)); // [B, H·hd]
        boolean perHeadNorm = config.perHeadQkNorm();
        if (!perHeadNorm && w.qNorm() != null) {
            q = ops.norm(p, q, w.qNorm(), null, layer);
        }
        q = q.reshape(b, config.numHeads(), 1, hd);
        if (perHeadNorm) {
            q = ops.norm(p, q, w.qNorm(), null, layer);
        }
        if (weights.positions() == null) {
            NDArray[] csq = ropeAt(p.manager, posQ, ops.ropeOf(layer));
            q = Ops.applyRope(q, csq[0].reshape(b, 1, 1, hd), csq[1].reshape(b, 1, 1, hd));
        }
        return q;
    }

    /** The query positions {@code rows} as longs, each checked to lie in [0, t). */
    private static long[] positions(int[] rows, int t) {
        long[] pos = new long[rows.length];
        for (int c = 0; c < rows.length; c++) {
            if (rows[c] < 0 || rows[c] >= t) {
                throw new IllegalArgumentException("row " + rows[c] + " is outside [0, " + t + ")");
            }
            pos[c] = rows[c];
        }
        return pos;
    }

    /** [B, H·hd] (or [B, H, 1, hd]) per-copy head vectors to [kvHeads, group·B, hd], ordered (group head, copy). */
    private static NDArray perKvHead(NDArray x, int b, int kvHeads, int group, int hd) {
        return x.reshape(b, kvHeads, group, hd).transpose(1, 2, 0, 3).reshape(kvHeads, (long) group * b, hd);
    }

    /**
     * cos and sin of the RoPE angles at the given positions, [n, head_dim]: the angles as {@code Ops.rope} forms them
     * (float64), cos and sin taken here and stored in the model's dtype (two arrays, whatever n).
     */
    private NDArray[] ropeAt(NDManager m, long[] positions, Rope rope) {
        int hd = config.headDim();
        double[] inv = rope.invFreq();
        double f = rope.attentionFactor();
        double[] cos = new double[positions.length * hd];
        double[] sin = new double[positions.length * hd];
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < hd / 2; i++) {
                double a = positions[r] * inv[i];
                double c = Math.cos(a) * f;
                double sn = Math.sin(a) * f;
                cos[r * hd + i] = c;
                cos[r * hd + i + hd / 2] = c;
                sin[r * hd + i] = sn;
                sin[r * hd + i + hd / 2] = sn;
            }
        }
        Shape shape = new Shape(positions.length, hd);
        return new NDArray[] {ops.typed(m, cos, shape), ops.typed(m, sin, shape)};
    }
}
