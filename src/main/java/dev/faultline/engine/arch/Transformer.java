package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.faultline.engine.model.HfConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The forward pass of every supported family, written with DJL NDArray ops, with the AttnLRP rules as forward
 * rewrites (DESIGN.md §3; Achtibat et al. 2024): norms keep their normaliser out of the gradient (identity rule),
 * elementwise activations become {@code x · sg(act(x)/x)}, products of two activations get half the gradient per
 * factor (uniform rule), softmax and linear layers pass the plain gradient. So relevance = tensor ⊙ gradient.
 */
public final class Transformer {

    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    private final HfConfig config;
    private final ModelWeights weights;
    private final DataType dtype;

    public Transformer(HfConfig config, ModelWeights weights, DataType dtype) {
        this.config = config;
        this.weights = weights;
        this.dtype = dtype;
    }

    public ModelWeights weights() {
        return weights;
    }

    /** Token embeddings of {@code ids}: a fresh [T, D] array attached to {@code manager}. */
    public NDArray embed(NDManager manager, int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        NDArray idx = manager.create(l);
        return idx.getNDArrayInternal().embedding(idx, weights.embed(), SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * Runs the blocks on token embeddings {@code tokens} [B, T, D] and returns logits: at {@code position} only
     * ([B, V]) or, when {@code position < 0}, at every position ([B, T, V]).
     */
    public NDArray logits(Pass p, NDArray tokens, int position) {
        NDArray h = hiddenStates(p, tokens);
        NDArray y = position >= 0 ? h.get(new NDIndex(":, {}, :", position)) : h;
        y = norm(p, y, weights.finalNormW(), weights.finalNormB(), config.numLayers());
        return linear(y, weights.head(), null);
    }

    /** The residual stream entering the final norm, [B, T, D]. */
    NDArray hiddenStates(Pass p, NDArray tokens) {
        NDManager m = p.manager;
        long b = tokens.getShape().get(0);
        int t = (int) tokens.getShape().get(1);
        NDArray h = tokens;
        NDArray cos = null;
        NDArray sin = null;
        if (weights.positions() != null) {
            NDArray pos = weights.positions().get(new NDIndex("0:{}", t));
            pos.attach(m);
            if (p.track) {
                pos = pos.duplicate();
                pos.setRequiresGradient(true);
                p.positionLeaf = pos;
            }
            h = h.add(pos);
        } else {
            NDArray[] cs = rope(m, t);
            cos = cs[0];
            sin = cs[1];
        }
        Map<Integer, NDArray> masks = new HashMap<>();
        for (int l = 0; l < config.numLayers(); l++) {
            LayerWeights w = weights.layers().get(l);
            h = p.probe(h, p.layerInputs);
            NDArray mask = masks.computeIfAbsent(w.slidingWindow(), win -> mask(m, t, win));
            NDArray x = w.attnNormW() == null ? h : norm(p, h, w.attnNormW(), w.attnNormB(), l);
            NDArray a = attention(p, w, x, cos, sin, mask, b, t, l);
            if (w.postAttnNorm() != null) {
                a = norm(p, a, w.postAttnNorm(), null, l);
            }
            h = h.add(a);
            h = p.probe(h, p.postAttention);
            x = w.mlpNormW() == null ? h : norm(p, h, w.mlpNormW(), w.mlpNormB(), l);
            NDArray f = mlp(p, w, x, l);
            if (w.postMlpNorm() != null) {
                f = norm(p, f, w.postMlpNorm(), null, l);
            }
            h = h.add(f);
        }
        return p.probe(h, p.layerInputs);
    }

    // ---- Sub-layers one at a time (attribution graph, issue 7): the same ops as hiddenStates, block by block ----

    /** The residual stream entering layer 0 for token embeddings {@code tokens} [B, T, D]: plus positions (GPT-2). */
    public NDArray residualInput(NDArray tokens) {
        if (weights.positions() == null) {
            return tokens;
        }
        int t = (int) tokens.getShape().get(1);
        NDArray pos = weights.positions().get(new NDIndex("0:{}", t));
        pos.attach(tokens.getManager());
        return tokens.add(pos);
    }

    /** One attention block with its norm(s) and residual: {@code h + attn(norm(h))}, [B, T, D] to [B, T, D]. */
    public NDArray attentionBlock(Pass p, int layer, NDArray h) {
        NDManager m = p.manager;
        long b = h.getShape().get(0);
        int t = (int) h.getShape().get(1);
        LayerWeights w = weights.layers().get(layer);
        NDArray[] cs = weights.positions() == null ? rope(m, t) : new NDArray[2];
        NDArray mask = mask(m, t, w.slidingWindow());
        NDArray x = w.attnNormW() == null ? h : norm(p, h, w.attnNormW(), w.attnNormB(), layer);
        NDArray a = attention(p, w, x, cs[0], cs[1], mask, b, t, layer);
        if (w.postAttnNorm() != null) {
            a = norm(p, a, w.postAttnNorm(), null, layer);
        }
        return h.add(a);
    }

    /** One MLP block with its norm(s) and residual: {@code h + mlp(norm(h))}, position-wise, [B, T, D]. */
    public NDArray mlpBlock(Pass p, int layer, NDArray h) {
        LayerWeights w = weights.layers().get(layer);
        NDArray x = w.mlpNormW() == null ? h : norm(p, h, w.mlpNormW(), w.mlpNormB(), layer);
        NDArray f = mlp(p, w, x, layer);
        if (w.postMlpNorm() != null) {
            f = norm(p, f, w.postMlpNorm(), null, layer);
        }
        return h.add(f);
    }

    /** The final norm and output head at {@code position} of the residual stream {@code h} [B, T, D]: [B, V]. */
    public NDArray head(Pass p, NDArray h, int position) {
        NDArray y = h.get(new NDIndex(":, {}, :", position));
        y = norm(p, y, weights.finalNormW(), weights.finalNormB(), config.numLayers());
        return linear(y, weights.head(), null);
    }

    /**
     * The attention block's output at ONE position per batch copy: copy {@code c} of {@code h} [B, T, D] is read at
     * position {@code rows[c]} only, [B, D]. The query is computed at that position alone (keys and values over the
     * whole copy, causal and windowed as in {@link #attentionBlock}), so a copy costs O(T·D) instead of O(T²).
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
        NDArray[] kv = attentionKeysValues(p, layer, h);
        return attentionRowsFrom(p, layer, hRow, kv[0], kv[1], rows);
    }

    /**
     * Keys (after norms and RoPE, before the uniform rule's halving) and values of the attention block of
     * {@code layer} for the residual stream {@code h} [B, T, D]: two [B, kvHeads, T, head_dim] arrays.
     */
    public NDArray[] attentionKeysValues(Pass p, int layer, NDArray h) {
        long b = h.getShape().get(0);
        int t = (int) h.getShape().get(1);
        LayerWeights w = weights.layers().get(layer);
        int hd = config.headDim();
        int kvHeads = config.numKvHeads();
        NDArray x = w.attnNormW() == null ? h : norm(p, h, w.attnNormW(), w.attnNormB(), layer);
        NDArray k = linear(x, w.k(), p.bias(w.kb(), layer));
        NDArray v = linear(x, w.v(), p.bias(w.vb(), layer));
        boolean perHeadNorm = config.family() == HfConfig.Family.QWEN3;
        if (!perHeadNorm && w.kNorm() != null) {
            k = norm(p, k, w.kNorm(), null, layer);
        }
        k = k.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        v = v.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        if (perHeadNorm) {
            k = norm(p, k, w.kNorm(), null, layer);
        }
        if (weights.positions() == null) {
            NDArray[] cs = rope(p.manager, t);
            k = applyRope(k, cs[0], cs[1]);
        }
        return new NDArray[] {k, v};
    }

    /**
     * The attention block's output at position {@code rows[c]} of copy c, [B, D], from that position's residual
     * {@code hRows} [B, D] and the copy's keys and values (as {@link #attentionKeysValues} returns them, [B, kvHeads,
     * T', head_dim], T' > every row): the query is computed at the row alone.
     */
    public NDArray attentionRowsFrom(Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows) {
        return rowsAttention(p, layer, hRows, keys, values, rows, false, null, false);
    }

    /**
     * What {@link #attentionRowsShared} computed: the block output [B, D]; the scaled scores q·kᵀ and the softmax
     * weights, each [B, kvHeads, H/kvHeads, T'] (the heads sharing a key/value head grouped as in
     * {@link #attentionRowsFrom}); and two leaves of that shape added to them, whose gradients after a backward pass
     * are each copy's gradient at the scores ({@code scoreLeaf}, null under the detach rule, where the scores get no
     * gradient) and at the weights ({@code weightLeaf}).
     */
    public record SharedRows(NDArray output, NDArray scores, NDArray scoreLeaf, NDArray weights, NDArray weightLeaf) {
    }

    /**
     * As {@link #attentionRowsFrom}, with keys and values [1, kvHeads, T', head_dim] SHARED by the copies (broadcast,
     * never repeated; they must not require a gradient) and the gradients at the scores and at the attention weights
     * exposed as leaves ({@link SharedRows}). The causal (and window) mask is the score leaf's value, so the leaf
     * costs no extra pass.
     */
    public SharedRows attentionRowsShared(Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows) {
        if (keys.getShape().get(0) != 1 || values.getShape().get(0) != 1) {
            throw new IllegalArgumentException("shared keys and values have one copy, not " + keys.getShape());
        }
        NDArray[] seen = new NDArray[4];
        NDArray y = rowsAttention(p, layer, hRows, keys, values, rows, true, seen, false);
        return new SharedRows(y, seen[0], seen[2], seen[1], seen[3]);
    }

    /**
     * The attention block's output at the given positions of ONE sequence, [n, D], from those positions' residual
     * {@code hRows} [n, D] and the sequence's keys and values [1, kvHeads, T', head_dim] (T' > every row; they may
     * require a gradient): a chunk of query rows of {@link #attentionBlock}, same values, same rules. The rows'
     * queries are stacked per key/value head, [kvH, n·H/kvH, hd] against [kvH, hd, T'], so neither the keys nor the
     * values are ever expanded per row: one chunk's attention holds O(n·H·T') numbers.
     */
    public NDArray attentionChunk(Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows) {
        if (keys.getShape().get(0) != 1 || values.getShape().get(0) != 1) {
            throw new IllegalArgumentException("a chunk attends to one sequence's keys, not " + keys.getShape());
        }
        return rowsAttention(p, layer, hRows, keys, values, rows, false, null, true);
    }

    /**
     * The rows' attention block output. {@code shared}: keys and values shared by the copies, without gradient, the
     * leaves exposed through {@code seen} (scores, weights, score leaf, weight leaf). {@code kvMajor}: one sequence's
     * query rows stacked per key/value head.
     */
    private NDArray rowsAttention(Pass p, int layer, NDArray hRows, NDArray keys, NDArray values, int[] rows,
            boolean shared, NDArray[] seen, boolean kvMajor) {
        NDManager m = p.manager;
        int b = (int) hRows.getShape().get(0);
        int t = (int) keys.getShape().get(2);
        LayerWeights w = weights.layers().get(layer);
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = heads / kvHeads;
        // the mask per copy, [B, 1, 1, T]; with shared keys, the value of the score leaf, [B, kvH, G, T]
        int perCopy = shared ? kvHeads * group : 1;
        float[] maskData = new float[b * perCopy * t];
        long[] posQ = new long[b];
        int win = w.slidingWindow();
        for (int c = 0; c < b; c++) {
            if (rows[c] < 0 || rows[c] >= t) {
                throw new IllegalArgumentException("row " + rows[c] + " is outside [0, " + t + ")");
            }
            posQ[c] = rows[c];
            int lo = win > 0 ? Math.max(0, rows[c] - win + 1) : 0; // visible: lo .. rows[c]
            for (int r = 0; r < perCopy; r++) {
                int base = (c * perCopy + r) * t;
                java.util.Arrays.fill(maskData, base, base + lo, Float.NEGATIVE_INFINITY);
                java.util.Arrays.fill(maskData, base + rows[c] + 1, base + t, Float.NEGATIVE_INFINITY);
            }
        }
        Shape maskShape = shared ? new Shape(b, kvHeads, group, t) : new Shape(b, 1, 1, t);
        NDArray mask = m.create(maskData, maskShape).toType(dtype, false);
        NDArray xRow = w.attnNormW() == null ? hRows : norm(p, hRows, w.attnNormW(), w.attnNormB(), layer);
        NDArray q = linear(xRow, w.q(), p.bias(w.qb(), layer)); // [B, H·hd]
        boolean perHeadNorm = config.family() == HfConfig.Family.QWEN3;
        if (!perHeadNorm && w.qNorm() != null) {
            q = norm(p, q, w.qNorm(), null, layer);
        }
        q = q.reshape(b, heads, 1, hd);
        if (perHeadNorm) {
            q = norm(p, q, w.qNorm(), null, layer);
        }
        if (weights.positions() == null) {
            NDArray[] csq = ropeAt(m, posQ);
            q = applyRope(q, csq[0].reshape(b, 1, 1, hd), csq[1].reshape(b, 1, 1, hd));
        }
        q = p.scale(p.half(q), 1.0 / Math.sqrt(hd)); // never mul(Number) on the gradient path: Pass.scale
        // shared keys carry no gradient: the uniform rule's halving (a gradient-only change) is skipped for them
        NDArray k = shared ? keys : p.half(keys);
        // one query position per copy: the heads sharing a key/value head (HF repeat_kv groups them consecutively)
        // become that group's query rows, [B, kvH, G, hd], so keys and values are never repeated (shared keys:
        // broadcast over B, which the matmul does without copying them per copy)
        q = q.reshape(b, kvHeads, group, hd);
        NDArray raw;
        if (kvMajor) { // [kvH, B·G, hd] × [kvH, hd, T] → [kvH, B, G, T], then the mask per row [1, B, 1, T]
            raw = q.transpose(1, 0, 2, 3).reshape(kvHeads, (long) b * group, hd)
                    .matMul(k.squeeze(0).transpose(0, 2, 1)).reshape(kvHeads, b, group, t);
            mask = mask.reshape(1, b, 1, t);
        } else {
            raw = q.matMul(k.transpose(0, 1, 3, 2)); // [B, kvH, G, T]
        }
        if (shared && !p.detachSoftmax) {
            mask.setRequiresGradient(true); // the score leaf: its value is the mask, its gradient ∂scores
        }
        NDArray scores = raw.add(mask);
        NDArray attn = (p.detachSoftmax ? scores.stopGradient() : scores).softmax(3);
        NDArray out;
        if (shared) {
            NDArray weightLeaf = m.zeros(attn.getShape(), attn.getDataType());
            weightLeaf.setRequiresGradient(true);
            seen[0] = raw;
            seen[1] = attn;
            seen[2] = p.detachSoftmax ? null : mask;
            seen[3] = weightLeaf;
            out = attn.add(weightLeaf).matMul(values);
        } else if (kvMajor) {
            out = attn.reshape(kvHeads, (long) b * group, t).matMul(values.squeeze(0))
                    .reshape(kvHeads, b, group, hd).transpose(1, 0, 2, 3); // [B, kvH, G, hd]
        } else {
            out = attn.matMul(values);
        }
        if (!p.detachSoftmax) {
            out = p.half(out);
        }
        out = out.reshape(b, (long) heads * hd);
        NDArray a = linear(out, w.o(), p.bias(w.ob(), layer));
        if (w.postAttnNorm() != null) {
            a = norm(p, a, w.postAttnNorm(), null, layer);
        }
        return hRows.add(a);
    }

    /** Whether keys and values are bias-free linear maps of the residual under the rules (no norm or q/k/v bias). */
    public boolean keysValuesLinear(int layer) {
        LayerWeights w = weights.layers().get(layer);
        return w.attnNormB() == null && w.kb() == null && w.vb() == null;
    }

    /** cos and sin of the RoPE angles at the given positions, [n, head_dim], computed in float64 as {@link #rope}. */
    private NDArray[] ropeAt(NDManager m, long[] positions) {
        int hd = config.headDim();
        double[] angles = new double[positions.length * hd];
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < hd / 2; i++) {
                double a = positions[r] * (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / hd));
                angles[r * hd + i] = a;
                angles[r * hd + i + hd / 2] = a;
            }
        }
        NDArray ang = m.create(angles, new Shape(positions.length, hd));
        return new NDArray[] {ang.cos().toType(dtype, false), ang.sin().toType(dtype, false)};
    }

    private NDArray attention(Pass p, LayerWeights w, NDArray x, NDArray cos, NDArray sin, NDArray mask, long b,
            int t, int layer) {
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        NDArray q = linear(x, w.q(), p.bias(w.qb(), layer));
        NDArray k = linear(x, w.k(), p.bias(w.kb(), layer));
        NDArray v = linear(x, w.v(), p.bias(w.vb(), layer));
        boolean perHeadNorm = config.family() == HfConfig.Family.QWEN3;
        if (!perHeadNorm && w.qNorm() != null) { // OLMo-2/3: norm over the whole projection, before the head split
            q = norm(p, q, w.qNorm(), null, layer);
            k = norm(p, k, w.kNorm(), null, layer);
        }
        q = q.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        k = k.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        v = v.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        if (perHeadNorm) {
            q = norm(p, q, w.qNorm(), null, layer);
            k = norm(p, k, w.kNorm(), null, layer);
        }
        if (cos != null) {
            q = applyRope(q, cos, sin);
            k = applyRope(k, cos, sin);
        }
        q = p.probe(q, p.queries);
        // uniform rule on Q·Kᵀ, applied to its factors (same gradients, no extra T×T tensors)
        q = p.scale(p.half(q), 1.0 / Math.sqrt(hd)); // never mul(Number) on the gradient path: Pass.scale
        k = p.half(k);
        if (kvHeads != heads) { // HF repeat_kv: each key/value head serves heads/kvHeads consecutive query heads
            k = k.repeat(1, heads / kvHeads);
            v = v.repeat(1, heads / kvHeads);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        NDArray masked = scores.add(mask);
        scores.close();
        // softmax=detach: the attention weights are constants (no gradient reaches the scores)
        NDArray attn = (p.detachSoftmax ? masked.stopGradient() : masked).softmax(3);
        masked.close();
        NDArray out = attn.matMul(v);
        attn.close();
        if (!p.detachSoftmax) { // with constant weights A·V is linear in V: V keeps the whole gradient (CP-LRP)
            out = p.half(out);
        }
        out = p.probe(out, p.attentionOutputs);
        out = out.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd);
        return linear(out, w.o(), p.bias(w.ob(), layer));
    }

    private NDArray mlp(Pass p, LayerWeights w, NDArray x, int layer) {
        if (config.family() == HfConfig.Family.GPT2) {
            NDArray f = linear(x, w.gate(), p.bias(w.gateB(), layer));
            // gelu_new(x) = x · 0.5(1 + tanh(c(x + 0.044715x³))): the ratio act(x)/x in closed form
            DataType dt = f.getDataType(); // scalar factors via Pass.scale/constant: see there why not mul(Number)
            NDArray ratio = p.scale(p.scale(f.add(p.scale(f.pow(p.constant(3, dt)), 0.044715)), GELU_C).tanh().add(1),
                    0.5);
            NDArray a = f.mul(p.rules ? ratio.stopGradient() : ratio);
            return linear(a, w.down(), p.bias(w.downB(), layer));
        }
        NDArray g = linear(x, w.gate(), p.bias(w.gateB(), layer));
        NDArray u = linear(x, w.up(), p.bias(w.upB(), layer));
        NDArray sig = g.getNDArrayInternal().sigmoid();
        NDArray act = g.mul(p.rules ? sig.stopGradient() : sig); // SiLU, identity rule: x · sg(sigmoid(x))
        NDArray prod = p.half(act.mul(u));
        return linear(prod, w.down(), p.bias(w.downB(), layer));
    }

    /** RMSNorm or (with a bias) LayerNorm over the last axis; the identity rule detaches the normaliser. */
    private NDArray norm(Pass p, NDArray x, NDArray weight, NDArray bias, int group) {
        double eps = config.normEps();
        int[] last = {x.getShape().dimension() - 1};
        if (config.family() == HfConfig.Family.GPT2) {
            NDArray centred = x.sub(x.mean(last, true));
            NDArray den = centred.square().mean(last, true).add(eps).sqrt();
            NDArray y = centred.div(p.rules ? den.stopGradient() : den).mul(weight);
            return bias == null ? y : y.add(p.bias(bias, group));
        }
        NDArray den = x.square().mean(last, true).add(eps).sqrt();
        return x.div(p.rules ? den.stopGradient() : den).mul(weight);
    }

    private static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    /** cos and sin of the rotate-half RoPE angles for positions 0..t-1, [t, head_dim], computed in float64. */
    private NDArray[] rope(NDManager m, int t) {
        int hd = config.headDim();
        double[] inv = new double[hd];
        for (int i = 0; i < hd / 2; i++) {
            inv[i] = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / hd);
            inv[i + hd / 2] = inv[i];
        }
        NDArray pos = m.arange(0, t, 1, DataType.FLOAT64).reshape(t, 1);
        NDArray angles = pos.mul(m.create(inv).reshape(1, hd));
        return new NDArray[] {angles.cos().toType(dtype, false), angles.sin().toType(dtype, false)};
    }

    private static NDArray applyRope(NDArray x, NDArray cos, NDArray sin) {
        int axis = x.getShape().dimension() - 1;
        NDList halves = x.split(2, axis);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), axis);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** Additive causal mask [t, t] (0 or -inf), also hiding keys more than {@code window} back when window > 0. */
    private NDArray mask(NDManager m, int t, int window) {
        NDArray rows = m.arange(0, t, 1, DataType.INT64).reshape(t, 1);
        NDArray cols = m.arange(0, t, 1, DataType.INT64).reshape(1, t);
        NDArray hidden = cols.gt(rows);
        if (window > 0) {
            hidden = hidden.logicalOr(cols.lte(rows.sub(window)));
        }
        NDArray negInf = m.full(new Shape(t, t), Float.NEGATIVE_INFINITY, dtype);
        return NDArrays.where(hidden, negInf, m.zeros(new Shape(t, t), dtype));
    }
}
