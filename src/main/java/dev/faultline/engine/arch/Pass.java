package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one forward pass: which propagation rules are on, and, when relevance is wanted, the zero "probe"
 * leaves added to the tensors whose gradient is read after the backward pass (DJL keeps gradients of leaves only),
 * and per-pass leaf copies of the biases, whose relevance is {@code b · ∂target/∂b}.
 */
public final class Pass {

    /** A tensor's value and the zero leaf added to it: relevance = value ⊙ gradient of the leaf. */
    public record Probe(NDArray value, NDArray leaf) {}

    /** A per-pass copy of a bias (or position-embedding) leaf and the group it is booked under. */
    public record BiasLeaf(NDArray leaf, int group) {}

    final NDManager manager;
    final boolean rules;
    final boolean detachSoftmax;
    final boolean track;
    /** Examples in this pass's batch; above 1 each bias gets one leaf per example, so its relevance splits. */
    final int examples;

    /** Residual stream entering each layer, then (index L) entering the final norm. */
    public final List<Probe> layerInputs = new ArrayList<>();
    /** Residual stream after each layer's attention block (before the MLP). */
    public final List<Probe> postAttention = new ArrayList<>();
    /** Queries per layer after RoPE and norms: their relevance gives the relevance entering the softmax. */
    public final List<Probe> queries = new ArrayList<>();
    /** Attention outputs per layer (A·V): their relevance gives the relevance leaving the softmax. */
    public final List<Probe> attentionOutputs = new ArrayList<>();
    /** Bias leaves; group = layer index, L = final norm. */
    public final List<BiasLeaf> biases = new ArrayList<>();
    /** GPT-2's position embeddings of this pass (a leaf when tracking), else null. */
    public NDArray positionLeaf;
    /** Trim the native heap after every this many layers of the forward ({@link NativeHeap}); 0: never. */
    private int trimEvery;
    /** Scalar constants of this pass in memory libtorch owns, by dtype and value (see {@link #constant}). */
    private final Map<String, NDArray> constants = new HashMap<>();

    /**
     * @param rules         AttnLRP rules on (false = plain gradient x input)
     * @param detachSoftmax attention weights treated as constants
     * @param track         create probes and bias leaves (an attribution pass) or not (a plain forward)
     */
    public Pass(NDManager manager, boolean rules, boolean detachSoftmax, boolean track) {
        this(manager, rules, detachSoftmax, track, 1);
    }

    /**
     * A pass over a batch of {@code examples} independent inputs (the first axis): bias leaves are [examples, 1, n],
     * one copy per example, so that relevance absorbed by biases is read out per example.
     */
    public Pass(NDManager manager, boolean rules, boolean detachSoftmax, boolean track, int examples) {
        if (examples < 1) {
            throw new IllegalArgumentException("examples must be >= 1");
        }
        this.manager = manager;
        this.rules = rules;
        this.detachSoftmax = detachSoftmax;
        this.track = track;
        this.examples = examples;
    }

    /**
     * Gives the freed pages of the forward's temporaries back after every {@code layers} layers (0: never), so that
     * they do not pile up beside the activations kept for the backward ({@link NativeHeap}). For large passes.
     */
    public Pass trimEvery(int layers) {
        this.trimEvery = Math.max(0, layers);
        return this;
    }

    /** After layer {@code l} of the forward (0-based): trims the native heap when {@link #trimEvery} says so. */
    void afterLayer(int l) {
        if (trimEvery > 0 && (l + 1) % trimEvery == 0) {
            NativeHeap.trim();
        }
    }

    /** Examples in this pass's batch. */
    public int examples() {
        return examples;
    }

    /** A plain forward: no rules, no probes. */
    public static Pass inference(NDManager manager) {
        return new Pass(manager, false, false, false);
    }

    NDArray probe(NDArray value, List<Probe> into) {
        if (!track) {
            return value;
        }
        // one zero broadcast to the value's shape (a view, no memory of its own): a leaf whose gradient autograd
        // fills with the gradient at the value, while the zeros themselves cost nothing per element
        NDArray zero = manager.zeros(new Shape(1), value.getDataType(), value.getDevice());
        NDArray z = zero.broadcast(value.getShape());
        z.setRequiresGradient(true);
        NDScope.unregister(zero);
        NDArray out = value.add(z);
        NDScope.unregister(z, out); // outlives the layer's scope: read after the backward pass
        into.add(new Probe(out, z));
        return out;
    }

    NDArray bias(NDArray b, int group) {
        if (b == null || !track) {
            return b;
        }
        NDArray leaf = examples == 1
                ? b.duplicate()
                : b.reshape(1, 1, -1)
                        .broadcast(new ai.djl.ndarray.types.Shape(examples, 1, b.size()))
                        .duplicate();
        leaf.attach(manager);
        leaf.setRequiresGradient(true);
        NDScope.unregister(leaf);
        biases.add(new BiasLeaf(leaf, group));
        return leaf;
    }

    /** The share of a product's gradient each factor gets: 0.5 under the uniform rule ({@link #half}), else 1. */
    public double productShare() {
        return rules ? 0.5 : 1.0;
    }

    /** Uniform rule for a product of two activations (AttnLRP): same value, half the gradient. */
    NDArray half(NDArray x) {
        if (!rules) {
            return x;
        }
        return scale(x, 0.5).add(scale(x.stopGradient(), 0.5));
    }

    /**
     * {@code x · c}. Never write {@code x.mul(c)} (nor {@code div}/{@code pow} by a {@code Number}) on the gradient
     * path: DJL 0.36's PyTorch engine wraps the number in a tensor over a Java direct buffer ({@code from_blob}, no
     * copy) and closes that tensor as soon as the op returns, which drops the buffer's last Java reference; autograd
     * has saved the same tensor for the backward pass (MulBackward keeps the other factor), so a garbage collection
     * between forward and backward frees the buffer and the backward multiplies by whatever now lies there: right
     * Δℓ, wrong relevance. The constant here lives in memory libtorch owns.
     */
    NDArray scale(NDArray x, double c) {
        return x.mul(constant(c, x.getDataType()));
    }

    /**
     * A 0-d constant of dtype {@code dt} in memory libtorch owns (a clone, not a view of a Java buffer), attached to
     * this pass's manager and reused within the pass.
     */
    NDArray constant(double c, DataType dt) {
        return constants.computeIfAbsent(dt + ":" + Double.doubleToLongBits(c), key -> {
            NDArray src = manager.create(c); // float64 over a Java direct buffer
            NDArray typed = src.toType(dt, false);
            NDArray owned = typed.duplicate(); // clone: libtorch-owned storage, independent of the Java buffer
            owned.attach(manager);
            NDScope.unregister(owned); // reused by later layers
            if (typed != src) {
                typed.close();
            }
            src.close();
            return owned;
        });
    }

    public boolean rules() {
        return rules;
    }

    public boolean detachSoftmax() {
        return detachSoftmax;
    }
}
