package dev.faultline.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.faultline.engine.ModelLoadException;
import dev.faultline.engine.arch.LayerWeights;
import dev.faultline.engine.arch.ModelWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps Hugging Face tensor names of each family onto {@link ModelWeights}, checking every shape against
 * {@code config.json}: a missing tensor or a shape mismatch is a {@link ModelLoadException} naming the tensor.
 */
public final class WeightLayout {

    private final Map<String, NDArray> tensors;
    private final Set<String> used = new HashSet<>();

    private WeightLayout(Map<String, NDArray> tensors) {
        this.tensors = tensors;
    }

    /** Builds the weights of {@code c} from {@code tensors}; tensors left unused are closed. */
    public static ModelWeights map(HfConfig c, Map<String, NDArray> tensors) {
        WeightLayout m = new WeightLayout(tensors);
        ModelWeights w = c.family() == HfConfig.Family.GPT2 ? m.gpt2(c) : m.llama(c);
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            if (!m.used.contains(e.getKey())) {
                e.getValue().close();
            }
        }
        return w;
    }

    private ModelWeights llama(HfConfig c) {
        int d = c.hiddenSize();
        int qd = c.numHeads() * c.headDim();
        int kvd = c.numKvHeads() * c.headDim();
        int ff = c.intermediateSize();
        boolean olmo = c.family() == HfConfig.Family.OLMO2;
        boolean qwen3 = c.family() == HfConfig.Family.QWEN3;
        NDArray embed = req("model.embed_tokens.weight", c.vocabSize(), d);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            NDArray attnNorm = olmo ? null : req(p + "input_layernorm.weight", d);
            NDArray q = req(p + "self_attn.q_proj.weight", qd, d);
            NDArray k = req(p + "self_attn.k_proj.weight", kvd, d);
            NDArray v = req(p + "self_attn.v_proj.weight", kvd, d);
            NDArray o = req(p + "self_attn.o_proj.weight", d, qd);
            NDArray qb =
                    c.attentionBias() ? req(p + "self_attn.q_proj.bias", qd) : opt(p + "self_attn.q_proj.bias", qd);
            NDArray kb =
                    c.attentionBias() ? req(p + "self_attn.k_proj.bias", kvd) : opt(p + "self_attn.k_proj.bias", kvd);
            NDArray vb =
                    c.attentionBias() ? req(p + "self_attn.v_proj.bias", kvd) : opt(p + "self_attn.v_proj.bias", kvd);
            NDArray ob = opt(p + "self_attn.o_proj.bias", d);
            NDArray qNorm = null;
            NDArray kNorm = null;
            if (qwen3) {
                qNorm = req(p + "self_attn.q_norm.weight", c.headDim());
                kNorm = req(p + "self_attn.k_norm.weight", c.headDim());
            } else if (olmo) {
                qNorm = req(p + "self_attn.q_norm.weight", qd);
                kNorm = req(p + "self_attn.k_norm.weight", kvd);
            }
            NDArray postAttn = olmo ? req(p + "post_attention_layernorm.weight", d) : null;
            NDArray mlpNorm = olmo ? null : req(p + "post_attention_layernorm.weight", d);
            NDArray postMlp = olmo ? req(p + "post_feedforward_layernorm.weight", d) : null;
            NDArray gate = req(p + "mlp.gate_proj.weight", ff, d);
            NDArray up = req(p + "mlp.up_proj.weight", ff, d);
            NDArray down = req(p + "mlp.down_proj.weight", d, ff);
            NDArray gateB = c.mlpBias() ? req(p + "mlp.gate_proj.bias", ff) : null;
            NDArray upB = c.mlpBias() ? req(p + "mlp.up_proj.bias", ff) : null;
            NDArray downB = c.mlpBias() ? req(p + "mlp.down_proj.bias", d) : null;
            layers.add(new LayerWeights(
                    attnNorm,
                    null,
                    q,
                    qb,
                    k,
                    kb,
                    v,
                    vb,
                    o,
                    ob,
                    qNorm,
                    kNorm,
                    postAttn,
                    mlpNorm,
                    null,
                    gate,
                    gateB,
                    up,
                    upB,
                    down,
                    downB,
                    postMlp,
                    c.slidingWindowPerLayer()[i]));
        }
        NDArray norm = req("model.norm.weight", d);
        NDArray head;
        if (c.tiedEmbeddings()) {
            head = embed;
        } else {
            head = req("lm_head.weight", c.vocabSize(), d);
        }
        return new ModelWeights(embed, null, layers, norm, null, head);
    }

    private ModelWeights gpt2(HfConfig c) {
        int d = c.hiddenSize();
        int ff = c.intermediateSize();
        String root = tensors.containsKey("transformer.wte.weight") ? "transformer." : "";
        NDArray wte = req(root + "wte.weight", c.vocabSize(), d);
        NDArray wpe = req(root + "wpe.weight", c.maxPositions(), d);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = root + "h." + i + ".";
            NDArray ln1w = req(p + "ln_1.weight", d);
            NDArray ln1b = req(p + "ln_1.bias", d);
            // Conv1D stores (in, out): transpose to (out, in) once, here
            NDArray cAttn = req(p + "attn.c_attn.weight", d, 3 * d).transpose().duplicate();
            NDArray cAttnB = req(p + "attn.c_attn.bias", 3 * d);
            NDArray[] qkv = cAttn.split(3, 0).toArray(new NDArray[0]);
            NDArray[] qkvB = cAttnB.split(3, 0).toArray(new NDArray[0]);
            NDArray o = conv1d(p + "attn.c_proj.weight", d, d);
            NDArray ob = req(p + "attn.c_proj.bias", d);
            NDArray ln2w = req(p + "ln_2.weight", d);
            NDArray ln2b = req(p + "ln_2.bias", d);
            NDArray fc = conv1d(p + "mlp.c_fc.weight", d, ff);
            NDArray fcb = req(p + "mlp.c_fc.bias", ff);
            NDArray proj = conv1d(p + "mlp.c_proj.weight", ff, d);
            NDArray projb = req(p + "mlp.c_proj.bias", d);
            layers.add(new LayerWeights(
                    ln1w,
                    ln1b,
                    contiguous(qkv[0]),
                    contiguous(qkvB[0]),
                    contiguous(qkv[1]),
                    contiguous(qkvB[1]),
                    contiguous(qkv[2]),
                    contiguous(qkvB[2]),
                    o,
                    ob,
                    null,
                    null,
                    null,
                    ln2w,
                    ln2b,
                    fc,
                    fcb,
                    null,
                    null,
                    proj,
                    projb,
                    null,
                    0));
            cAttn.close();
            cAttnB.close();
            tensors.get(p + "attn.c_attn.weight").close();
        }
        NDArray lnfw = req(root + "ln_f.weight", d);
        NDArray lnfb = req(root + "ln_f.bias", d);
        NDArray head = c.tiedEmbeddings() ? wte : req("lm_head.weight", c.vocabSize(), d);
        return new ModelWeights(wte, wpe, layers, lnfw, lnfb, head);
    }

    private static NDArray contiguous(NDArray a) {
        return a.duplicate();
    }

    private NDArray conv1d(String name, long in, long out) {
        NDArray w = req(name, in, out);
        NDArray t = w.transpose().duplicate();
        w.close();
        return t;
    }

    private NDArray req(String name, long... shape) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new ModelLoadException("checkpoint lacks tensor " + name);
        }
        check(name, a, shape);
        used.add(name);
        return a;
    }

    private NDArray opt(String name, long... shape) {
        return tensors.containsKey(name) ? req(name, shape) : null;
    }

    private static void check(String name, NDArray a, long[] shape) {
        if (!a.getShape().equals(new Shape(shape))) {
            throw new ModelLoadException("tensor " + name + " has shape " + a.getShape() + ", config.json implies "
                    + Arrays.toString(shape));
        }
    }
}
