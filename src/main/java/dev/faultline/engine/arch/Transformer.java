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
        q = p.half(q).mul(1.0 / Math.sqrt(hd));
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
            NDArray ratio = f.add(f.pow(3).mul(0.044715)).mul(GELU_C).tanh().add(1).mul(0.5);
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
