package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.faultline.engine.model.HfConfig;
import dev.faultline.engine.model.Rope;

/**
 * The pieces the forward ({@link Transformer}) and the graph's attention rows ({@link AttentionRows}) share: norms
 * under the rules, projections, RoPE tables, causal masks, and the keys and values of an attention block.
 */
final class Ops {

    private final HfConfig config;
    private final ModelWeights weights;
    private final DataType dtype;

    Ops(HfConfig config, ModelWeights weights, DataType dtype) {
        this.config = config;
        this.weights = weights;
        this.dtype = dtype;
    }

    NDArray[] keysValues(Pass p, int layer, NDArray h, boolean linearPart) {
        long b = h.getShape().get(0);
        int t = (int) h.getShape().get(1);
        LayerWeights w = weights.layers().get(layer);
        int hd = config.headDim();
        int kvHeads = config.numKvHeads();
        NDArray x = w.attnNormW() == null ? h : norm(p, h, w.attnNormW(), linearPart ? null : w.attnNormB(), layer);
        NDArray k = linear(x, w.k(), linearPart ? null : p.bias(w.kb(), layer));
        NDArray v = linear(x, w.v(), linearPart ? null : p.bias(w.vb(), layer));
        boolean perHeadNorm = config.perHeadQkNorm();
        if (!perHeadNorm && w.kNorm() != null) {
            k = norm(p, k, w.kNorm(), null, layer);
        }
        k = k.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        v = v.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
        if (perHeadNorm) {
            k = norm(p, k, w.kNorm(), null, layer);
        }
        if (weights.positions() == null) {
            NDArray[] cs = rope(p.manager, t, ropeOf(layer));
            k = applyRope(k, cs[0], cs[1]);
        }
        return new NDArray[] {k, v};
    }

    static NDArray f64(NDArray a) {
        return a.toType(DataType.FLOAT64, false);
    }

    NDArray typed(NDManager m, double[] values, Shape shape) {
        if (dtype == DataType.FLOAT64) {
            return m.create(values, shape);
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return m.create(f, shape).toType(dtype, false);
    }

    /** RMSNorm or (with a bias) LayerNorm over the last axis; the identity rule detaches the normaliser. */
    NDArray norm(Pass p, NDArray x, NDArray weight, NDArray bias, int group) {
        if (config.centredNorm()) {
            NDArray centred = x.sub(x.mean(new int[] {x.getShape().dimension() - 1}, true));
            NDArray den = rms(centred);
            NDArray y = centred.div(p.rules ? den.stopGradient() : den).mul(weight);
            return bias == null ? y : y.add(p.bias(bias, group));
        }
        NDArray den = rms(x);
        return x.div(p.rules ? den.stopGradient() : den).mul(weight);
    }

    /** The norms' denominator over the last axis: sqrt(mean(x²) + eps), kept as a trailing axis of 1. */
    NDArray rms(NDArray x) {
        return x.square()
                .mean(new int[] {x.getShape().dimension() - 1}, true)
                .add(config.normEps())
                .sqrt();
    }

    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        if (b != null && b.getShape().dimension() > 1) { // one bias per example of a batch, [B, 1, out]
            return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow().add(b);
        }
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    /** The RoPE of {@code layer} (per layer: OLMo-3 scales its full-attention layers only). */
    Rope ropeOf(int layer) {
        return config.ropePerLayer()[layer];
    }

    /**
     * cos and sin of the rotate-half RoPE angles for positions 0..t-1, [t, head_dim], computed in float64, both times
     * the RoPE's attention factor (YaRN), which so scales the attention scores by its square.
     */
    NDArray[] rope(NDManager m, int t, Rope rope) {
        int hd = config.headDim();
        double[] inv = new double[hd];
        for (int i = 0; i < hd / 2; i++) {
            inv[i] = rope.invFreq()[i];
            inv[i + hd / 2] = inv[i];
        }
        NDArray pos = m.arange(0, t, 1, DataType.FLOAT64).reshape(t, 1);
        NDArray angles = pos.mul(m.create(inv).reshape(1, hd));
        NDArray cos = angles.cos();
        NDArray sin = angles.sin();
        if (rope.attentionFactor() != 1.0) {
            cos = cos.mul(rope.attentionFactor());
            sin = sin.mul(rope.attentionFactor());
        }
        return new NDArray[] {cos.toType(dtype, false), sin.toType(dtype, false)};
    }

    static NDArray applyRope(NDArray x, NDArray cos, NDArray sin) {
        int axis = x.getShape().dimension() - 1;
        NDList halves = x.split(2, axis);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), axis);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** Additive causal mask [t, t] (0 or -inf), also hiding keys more than {@code window} back when window > 0. */
    NDArray mask(NDManager m, int t, int window) {
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
