package dev.faultline.engine.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The state of one forward pass: which propagation rules are on, and, when relevance is wanted, the zero "probe"
 * leaves added to the tensors whose gradient is read after the backward pass (DJL keeps gradients of leaves only),
 * and per-pass leaf copies of the biases, whose relevance is {@code b · ∂target/∂b}.
 */
public final class Pass {

    /** A tensor's value and the zero leaf added to it: relevance = value ⊙ gradient of the leaf. */
    public record Probe(NDArray value, NDArray leaf) {
    }

    /** A per-pass copy of a bias (or position-embedding) leaf and the group it is booked under. */
    public record BiasLeaf(NDArray leaf, int group) {
    }

    final NDManager manager;
    final boolean rules;
    final boolean detachSoftmax;
    final boolean track;

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

    /**
     * @param rules         AttnLRP rules on (false = plain gradient x input)
     * @param detachSoftmax attention weights treated as constants
     * @param track         create probes and bias leaves (an attribution pass) or not (a plain forward)
     */
    public Pass(NDManager manager, boolean rules, boolean detachSoftmax, boolean track) {
        this.manager = manager;
        this.rules = rules;
        this.detachSoftmax = detachSoftmax;
        this.track = track;
    }

    /** A plain forward: no rules, no probes. */
    public static Pass inference(NDManager manager) {
        return new Pass(manager, false, false, false);
    }

    NDArray probe(NDArray value, List<Probe> into) {
        if (!track) {
            return value;
        }
        NDArray z = manager.zeros(value.getShape(), value.getDataType(), value.getDevice());
        z.setRequiresGradient(true);
        NDArray out = value.add(z);
        into.add(new Probe(out, z));
        return out;
    }

    NDArray bias(NDArray b, int group) {
        if (b == null || !track) {
            return b;
        }
        NDArray leaf = b.duplicate();
        leaf.attach(manager);
        leaf.setRequiresGradient(true);
        biases.add(new BiasLeaf(leaf, group));
        return leaf;
    }

    /** Uniform rule for a product of two activations (AttnLRP): same value, half the gradient. */
    NDArray half(NDArray x) {
        if (!rules) {
            return x;
        }
        return x.mul(0.5).add(x.stopGradient().mul(0.5));
    }

    public boolean rules() {
        return rules;
    }

    public boolean detachSoftmax() {
        return detachSoftmax;
    }
}
