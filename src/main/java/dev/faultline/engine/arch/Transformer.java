package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.faultline.engine.model.HfConfig;
import dev.faultline.engine.model.Rope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The forward pass of every supported family, written with DJL NDArray ops, with the AttnLRP rules as forward
 * rewrites (docs/engine.md; Achtibat et al. 2024): norms keep their normaliser out of the gradient (identity rule),
 * elementwise activations become {@code x · sg(act(x)/x)}, products of two activations get half the gradient per
 * factor (uniform rule), softmax and linear layers pass the plain gradient. So relevance = tensor ⊙ gradient.
 * The attribution graph's attention rows, which read the same weights another way, are {@link #rows()}; the
 * norms, projections, RoPE and masks both use are {@link Ops}.
 */
public final class Transformer {

    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    private final HfConfig config;
    private final ModelWeights weights;
    private final DataType dtype;
    /** Largest score array of one chunk of query rows in {@link #attention}. */
    private final long scoreChunkBytes;

    private final Ops ops;
    private final AttentionRows rows;

    /** A forward pass over {@code weights} in {@code dtype}, attention chunked at {@code scoreChunkBytes}. */
    public Transformer(HfConfig config, ModelWeights weights, DataType dtype, long scoreChunkBytes) {
        this.config = config;
        this.weights = weights;
        this.dtype = dtype;
        this.scoreChunkBytes = scoreChunkBytes;
        this.ops = new Ops(config, weights, dtype);
        this.rows = new AttentionRows(config, weights, dtype, ops);
    }

    public ModelWeights weights() {
        return weights;
    }

    /** The attention block's rows for the attribution graph: one position per copy, chunks, closed-form edges. */
    public AttentionRows rows() {
        return rows;
    }

    /** Largest score array of one chunk of query rows ({@code EngineOptions.scoreChunkBytes} of the load). */
    public long scoreChunkBytes() {
        return scoreChunkBytes;
    }

    /** Token embeddings of {@code ids}: a fresh [T, D] array attached to {@code manager}. */
    public NDArray embed(NDManager manager, int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        NDArray idx = manager.create(l);
        return idx.getNDArrayInternal()
                .embedding(idx, weights.embed(), SparseFormat.DENSE)
                .singletonOrThrow();
    }

    /**
     * Runs the blocks on token embeddings {@code tokens} [B, T, D] and returns logits: at {@code position} only
     * ([B, V]) or, when {@code position < 0}, at every position ([B, T, V]).
     */
    public NDArray logits(Pass p, NDArray tokens, int position) {
        NDArray h = hiddenStates(p, tokens);
        NDArray y = position >= 0 ? h.get(new NDIndex(":, {}, :", position)) : h;
        y = ops.norm(p, y, weights.finalNormW(), weights.finalNormB(), config.numLayers());
        return Ops.linear(y, weights.head(), null);
    }

    /**
     * Logits of copy b at position {@code positions[b]} for token embeddings {@code tokens} [B, T, D]: [B, V]. The
     * copies are independent examples (right-padded to T: causal attention keeps padding out of every real
     * position), each read at its own target.
     */
    public NDArray logitsAtRows(Pass p, NDArray tokens, int[] positions) {
        NDArray h = hiddenStates(p, tokens);
        int b = (int) h.getShape().get(0);
        if (positions.length != b) {
            throw new IllegalArgumentException(positions.length + " positions for " + b + " copies");
        }
        NDList rows = new NDList();
        for (int c = 0; c < b; c++) {
            rows.add(h.get(new NDIndex("{}, {}:{}, :", c, positions[c], positions[c] + 1)));
        }
        NDArray y = b == 1 ? rows.get(0).expandDims(0) : NDArrays.stack(rows); // [B, 1, D]
        y = ops.norm(p, y, weights.finalNormW(), weights.finalNormB(), config.numLayers());
        return Ops.linear(y, weights.head(), null).squeeze(1);
    }

    /**
     * The logits of the vocabulary entries {@code vocab} at the last row of a copy whose positions 0..f-1 are those
     * of a forward already run and whose positions f..f+S-1 have the token embeddings {@code suffix} [1, S, D]:
     * [1, vocab.length]. {@code prefix} holds, per layer, the keys and values of positions 0..f-1 ([1, kvHeads, f,
     * head_dim], from {@link #attentionKeysValues} of that forward's layer inputs). Only the S new rows go through
     * the blocks, and the head only for the asked entries: equal, to rounding, to {@link #logits} of the whole copy
     * at its last position, as long as no position before f differs from the forward that made the prefix.
     */
    public NDArray logitsAfterPrefix(Pass p, NDArray suffix, List<NDArray[]> prefix, int[] vocab) {
        if (prefix.size() != config.numLayers()) {
            throw new IllegalArgumentException(prefix.size() + " prefix layers for " + config.numLayers());
        }
        NDManager m = p.manager;
        int s = (int) suffix.getShape().get(1);
        int f = (int) prefix.get(0)[0].getShape().get(2);
        int t = f + s;
        NDArray h = suffix;
        if (weights.positions() != null) {
            NDArray pos = weights.positions().get(new NDIndex("{}:{}", f, t));
            pos.attach(m);
            h = h.add(pos);
        }
        Map<Integer, NDArray> masks = new HashMap<>(); // the rows' rows of the whole copy's masks and RoPE tables
        Map<Rope, NDArray[]> ropes = new HashMap<>();
        for (int l = 0; l < config.numLayers(); l++) {
            masks.computeIfAbsent(
                    weights.layers().get(l).slidingWindow(),
                    win -> ops.mask(m, t, win).get(new NDIndex("{}:{}, :", f, t)));
            if (weights.positions() == null) {
                ropes.computeIfAbsent(ops.ropeOf(l), r -> {
                    NDArray[] cs = ops.rope(m, t, r);
                    return new NDArray[] {
                        cs[0].get(new NDIndex("{}:{}, :", f, t)), cs[1].get(new NDIndex("{}:{}, :", f, t))
                    };
                });
            }
        }
        int last = config.numLayers() - 1;
        for (int l = 0; l <= last; l++) {
            try (NDScope layerScope = new NDScope()) {
                // the last layer only for the last row: its keys and values need every row, nothing else does
                h = layer(
                        p,
                        l,
                        h,
                        masks.get(weights.layers().get(l).slidingWindow()),
                        weights.positions() == null ? ropes.get(ops.ropeOf(l)) : new NDArray[2],
                        1,
                        s,
                        prefix.get(l),
                        l == last ? s - 1 : 0);
                NDScope.unregister(h);
            }
        }
        NDArray y = ops.norm(
                p,
                h.get(new NDIndex(":, {}, :", h.getShape().get(1) - 1)),
                weights.finalNormW(),
                weights.finalNormB(),
                config.numLayers());
        NDList rows = new NDList();
        for (int id : vocab) {
            NDArray row = weights.head().get(id);
            row.attach(m);
            rows.add(row);
        }
        return Ops.linear(y, NDArrays.stack(rows), null);
    }

    /** The residual stream entering the final norm, [B, T, D]. */
    NDArray hiddenStates(Pass p, NDArray tokens) {
        NDManager m = p.manager;
        long b = tokens.getShape().get(0);
        int t = (int) tokens.getShape().get(1);
        NDArray h = tokens;
        if (weights.positions() != null) {
            NDArray pos = weights.positions().get(new NDIndex("0:{}", t));
            pos.attach(m);
            if (p.track) {
                pos = p.examples > 1
                        ? pos.expandDims(0)
                                .broadcast(
                                        new Shape(p.examples, t, pos.getShape().get(1)))
                                .duplicate()
                        : pos.duplicate();
                pos.setRequiresGradient(true);
                p.positionLeaf = pos;
            }
            h = h.add(pos);
        }
        Map<Integer, NDArray> masks = new HashMap<>();
        Map<Rope, NDArray[]> ropes = new HashMap<>(); // layers of one type share their cos and sin
        for (int l = 0; l < config.numLayers(); l++) { // made before the layers' scopes, which close what they make
            masks.computeIfAbsent(weights.layers().get(l).slidingWindow(), win -> ops.mask(m, t, win));
            if (weights.positions() == null) {
                ropes.computeIfAbsent(ops.ropeOf(l), r -> ops.rope(m, t, r));
            }
        }
        for (int l = 0; l < config.numLayers(); l++) {
            // each layer's arrays are closed at its end, but for the new residual stream and what the pass keeps
            // (probes, bias leaves, constants: Pass unregisters them): DJL would otherwise hold every intermediate
            // of every layer until the pass ends. Autograd keeps its own references to what the backward needs
            try (NDScope layerScope = new NDScope()) {
                h = layer(
                        p,
                        l,
                        h,
                        masks.get(weights.layers().get(l).slidingWindow()),
                        weights.positions() == null ? ropes.get(ops.ropeOf(l)) : new NDArray[2],
                        b,
                        t,
                        null,
                        0);
                NDScope.unregister(h);
            }
            p.afterLayer(l);
        }
        return p.probe(h, p.layerInputs);
    }

    /**
     * Layer {@code l} on the residual stream {@code h}: attention block, then MLP block, each with its residual.
     * {@code prefix}: null, or the keys and values of the positions before h's rows (see {@link #attention}).
     * {@code from}: the first of h's rows whose output is wanted (0: all); keys and values still come from every
     * row, and the result holds rows {@code from..t-1} only.
     */
    private NDArray layer(
            Pass p, int l, NDArray h, NDArray mask, NDArray[] cs, long b, int t, NDArray[] prefix, int from) {
        LayerWeights w = weights.layers().get(l);
        h = p.probe(h, p.layerInputs);
        NDArray x = w.attnNormW() == null ? h : ops.norm(p, h, w.attnNormW(), w.attnNormB(), l);
        NDArray a = attention(p, w, x, cs[0], cs[1], mask, b, t, l, prefix, from);
        if (w.postAttnNorm() != null) {
            a = ops.norm(p, a, w.postAttnNorm(), null, l);
        }
        if (from > 0) {
            h = h.get(new NDIndex(":, {}:, :", from));
        }
        h = h.add(a);
        h = p.probe(h, p.postAttention);
        x = w.mlpNormW() == null ? h : ops.norm(p, h, w.mlpNormW(), w.mlpNormB(), l);
        NDArray f = mlp(p, w, x, l);
        if (w.postMlpNorm() != null) {
            f = ops.norm(p, f, w.postMlpNorm(), null, l);
        }
        return h.add(f);
    }

    // ---- Sub-layers one at a time (attribution graph): the same ops as hiddenStates, block by block ----

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
        NDArray[] cs = weights.positions() == null ? ops.rope(m, t, ops.ropeOf(layer)) : new NDArray[2];
        NDArray mask = ops.mask(m, t, w.slidingWindow());
        NDArray x = w.attnNormW() == null ? h : ops.norm(p, h, w.attnNormW(), w.attnNormB(), layer);
        NDArray a = attention(p, w, x, cs[0], cs[1], mask, b, t, layer, null, 0);
        if (w.postAttnNorm() != null) {
            a = ops.norm(p, a, w.postAttnNorm(), null, layer);
        }
        return h.add(a);
    }

    /** One MLP block with its norm(s) and residual: {@code h + mlp(norm(h))}, position-wise, [B, T, D]. */
    public NDArray mlpBlock(Pass p, int layer, NDArray h) {
        LayerWeights w = weights.layers().get(layer);
        NDArray x = w.mlpNormW() == null ? h : ops.norm(p, h, w.mlpNormW(), w.mlpNormB(), layer);
        NDArray f = mlp(p, w, x, layer);
        if (w.postMlpNorm() != null) {
            f = ops.norm(p, f, w.postMlpNorm(), null, layer);
        }
        return h.add(f);
    }

    /** The final norm and output head at {@code position} of the residual stream {@code h} [B, T, D]: [B, V]. */
    public NDArray head(Pass p, NDArray h, int position) {
        NDArray y = h.get(new NDIndex(":, {}, :", position));
        y = ops.norm(p, y, weights.finalNormW(), weights.finalNormB(), config.numLayers());
        return Ops.linear(y, weights.head(), null);
    }

    /**
     * Keys (after norms and RoPE, before the uniform rule's halving) and values of the attention block of
     * {@code layer} for the residual stream {@code h} [B, T, D]: two [B, kvHeads, T, head_dim] arrays.
     */
    public NDArray[] attentionKeysValues(Pass p, int layer, NDArray h) {
        return ops.keysValues(p, layer, h, false);
    }

    /**
     * Attention of the {@code t} rows of {@code x} [B, t, D] (normed). {@code prefix}: null (the rows are positions
     * 0..t-1), or the keys and values {K, V} ([B, kvHeads, f, head_dim], as {@link #attentionKeysValues} makes them) of
     * positions 0..f-1 that the rows (positions f..f+t-1) attend to besides themselves; {@code cos} and {@code sin}
     * are then the rows' ([t, head_dim]) and {@code mask} is [t, f+t]. {@code from}: the first row whose output is
     * wanted (0: all): keys and values come from all t rows, queries from rows from..t-1 only, and the result is
     * [B, t-from, D].
     */
    private NDArray attention(
            Pass p,
            LayerWeights w,
            NDArray x,
            NDArray cos,
            NDArray sin,
            NDArray mask,
            long b,
            int t,
            int layer,
            NDArray[] prefix,
            int from) {
        int hd = config.headDim();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        NDArray xq = from == 0 ? x : x.get(new NDIndex(":, {}:, :", from));
        int tq = t - from;
        NDArray q = Ops.linear(xq, w.q(), p.bias(w.qb(), layer));
        NDArray k = Ops.linear(x, w.k(), p.bias(w.kb(), layer));
        NDArray v = Ops.linear(x, w.v(), p.bias(w.vb(), layer));
        boolean perHeadNorm = config.perHeadQkNorm();
        if (!perHeadNorm && w.qNorm() != null) { // OLMo-2/3: norm over the whole projection, before the head split
            q = ops.norm(p, q, w.qNorm(), null, layer);
            k = ops.norm(p, k, w.kNorm(), null, layer);
        }
        q = q.reshape(b, tq, heads, hd).transpose(0, 2, 1, 3);
        k = k.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        v = v.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        if (perHeadNorm) {
            q = ops.norm(p, q, w.qNorm(), null, layer);
            k = ops.norm(p, k, w.kNorm(), null, layer);
        }
        if (cos != null) {
            q = from == 0
                    ? Ops.applyRope(q, cos, sin)
                    : Ops.applyRope(q, cos.get(new NDIndex("{}:, :", from)), sin.get(new NDIndex("{}:, :", from)));
            k = Ops.applyRope(k, cos, sin);
        }
        q = p.probe(q, p.queries);
        // uniform rule on Q·Kᵀ, applied to its factors (same gradients, no extra T×T tensors)
        q = p.scale(p.half(q), 1.0 / Math.sqrt(hd)); // never mul(Number) on the gradient path: Pass.scale
        k = p.half(k);
        int f = 0;
        if (prefix != null) {
            f = (int) prefix[0].getShape().get(2);
            k = prefix[0].concat(k, 2);
            v = prefix[1].concat(v, 2);
        }
        // HF repeat_kv: each key/value head serves group = heads/kvHeads consecutive query heads. The group's queries
        // are stacked against their one key/value head ([B, kvH, G·T, hd] × [B, kvH, hd, T]), so keys and values are
        // never repeated: the backward pass keeps them once, not once per query head
        int group = heads / kvHeads;
        NDArray qg = q.reshape(b, kvHeads, group, tq, hd);
        // a chunk of query rows at a time once a score array passes scoreChunkBytes: above glibc's 32 MiB mmap ceiling
        // every T×T array is mapped afresh and costs a page fault per 4 KiB, in the forward and again in the backward;
        // chunks come from (and go back to) the heap (bench/RESULTS.md: 2,048 tokens, forward 1.6 s -> 0.35 s,
        // attribution 3.9 s -> 0.9 s). Same values; autograd sees the chunks and their concat
        long rowsPerChunk = scoreChunkBytes / Math.max(1, b * heads * (f + t) * dtype.getNumOfBytes());
        int n = rowsPerChunk < tq ? (int) Math.max(16, rowsPerChunk) : tq;
        NDList parts = new NDList();
        for (int c0 = 0; c0 < tq; c0 += n) {
            int c1 = Math.min(tq, c0 + n);
            int tc = c1 - c0;
            int keys = f + from + c1; // the chunk's last row attends to keys 0..keys-1
            boolean whole = c0 == 0 && c1 == t;
            NDArray qc = (c0 == 0 && c1 == tq ? qg : qg.get(new NDIndex(":, :, :, {}:{}, :", c0, c1)))
                    .reshape(b, kvHeads, (long) group * tc, hd);
            NDArray kc = whole ? k : k.get(new NDIndex(":, :, 0:{}, :", keys));
            NDArray scores = qc.matMul(kc.transpose(0, 1, 3, 2)).reshape(b, kvHeads, group, tc, keys);
            NDArray masked =
                    scores.add(whole ? mask : mask.get(new NDIndex("{}:{}, 0:{}", from + c0, from + c1, keys)));
            scores.close();
            // softmax=detach: the attention weights are constants (no gradient reaches the scores)
            NDArray attn = (p.detachSoftmax ? masked.stopGradient() : masked).softmax(4);
            masked.close();
            NDArray vc = whole ? v : v.get(new NDIndex(":, :, 0:{}, :", keys));
            parts.add(
                    attn.reshape(b, kvHeads, (long) group * tc, keys).matMul(vc).reshape(b, kvHeads, group, tc, hd));
            attn.close();
        }
        NDArray out = (parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 3)).reshape(b, heads, tq, hd);
        if (!p.detachSoftmax) { // with constant weights A·V is linear in V: V keeps the whole gradient (CP-LRP)
            out = p.half(out);
        }
        out = p.probe(out, p.attentionOutputs);
        out = out.transpose(0, 2, 1, 3).reshape(b, tq, (long) heads * hd);
        return Ops.linear(out, w.o(), p.bias(w.ob(), layer));
    }

    private NDArray mlp(Pass p, LayerWeights w, NDArray x, int layer) {
        if (config.geluMlp()) {
            NDArray f = Ops.linear(x, w.gate(), p.bias(w.gateB(), layer));
            // gelu_new(x) = x · 0.5(1 + tanh(c(x + 0.044715x³))): the ratio act(x)/x in closed form
            DataType dt = f.getDataType(); // scalar factors via Pass.scale/constant: see there why not mul(Number)
            NDArray ratio = p.scale(
                    p.scale(f.add(p.scale(f.pow(p.constant(3, dt)), 0.044715)), GELU_C)
                            .tanh()
                            .add(1),
                    0.5);
            NDArray a = f.mul(p.rules ? ratio.stopGradient() : ratio);
            return Ops.linear(a, w.down(), p.bias(w.downB(), layer));
        }
        NDArray g = Ops.linear(x, w.gate(), p.bias(w.gateB(), layer));
        NDArray u = Ops.linear(x, w.up(), p.bias(w.upB(), layer));
        NDArray sig = g.getNDArrayInternal().sigmoid();
        NDArray act = g.mul(p.rules ? sig.stopGradient() : sig); // SiLU, identity rule: x · sg(sigmoid(x))
        NDArray prod = p.half(act.mul(u));
        return Ops.linear(prod, w.down(), p.bias(w.downB(), layer));
    }
}
