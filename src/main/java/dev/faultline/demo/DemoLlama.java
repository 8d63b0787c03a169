package dev.faultline.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The trainable demo model: a Llama decoder (RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU, tied
 * embeddings) written with DJL NDArray ops, with the conventions of Hugging Face {@code LlamaForCausalLM}, and a writer
 * of the Hugging Face checkpoint layout. Weights are held as {@code [in, out]} matrices (so {@code x.matMul(w)});
 * the writer transposes them to the Hugging Face {@code [out, in]} layout.
 */
public final class DemoLlama implements AutoCloseable {

    private final DemoModelConfig config;
    private final NDManager manager;
    /** Parameters by Hugging Face tensor name, in a fixed order. */
    private final Map<String, NDArray> params = new LinkedHashMap<>();

    private final NDArray cos;
    private final NDArray sin;
    /** The output head of a loaded checkpoint with untied embeddings ({@code [V, d]}), else null (tied). */
    private NDArray lmHead;

    /** Creates a model with seeded random weights (normal, std 0.02; norms 1). */
    public DemoLlama(DemoModelConfig config, NDManager parent, long seed) {
        this.config = config;
        this.manager = parent.newSubManager();
        Random random = new Random(seed);
        int d = config.hiddenSize();
        int hd = config.headDim();
        add("model.embed_tokens.weight", normal(random, config.vocabSize(), d));
        for (int l = 0; l < config.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            add(p + "input_layernorm.weight", ones(d));
            add(p + "self_attn.q_proj.weight", normal(random, d, config.numHeads() * hd));
            add(p + "self_attn.k_proj.weight", normal(random, d, config.numKvHeads() * hd));
            add(p + "self_attn.v_proj.weight", normal(random, d, config.numKvHeads() * hd));
            add(p + "self_attn.o_proj.weight", normal(random, config.numHeads() * hd, d));
            add(p + "post_attention_layernorm.weight", ones(d));
            add(p + "mlp.gate_proj.weight", normal(random, d, config.intermediateSize()));
            add(p + "mlp.up_proj.weight", normal(random, d, config.intermediateSize()));
            add(p + "mlp.down_proj.weight", normal(random, config.intermediateSize(), d));
        }
        add("model.norm.weight", ones(d));
        // HF Llama rotary embedding: inv_freq = theta^(-2i/hd), emb = cat(freqs, freqs)
        float[] c = new float[config.maxPositions() * hd];
        float[] s = new float[c.length];
        for (int t = 0; t < config.maxPositions(); t++) {
            for (int i = 0; i < hd / 2; i++) {
                double invFreq = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / hd);
                double angle = t * invFreq;
                c[t * hd + i] = c[t * hd + i + hd / 2] = (float) Math.cos(angle);
                s[t * hd + i] = s[t * hd + i + hd / 2] = (float) Math.sin(angle);
            }
        }
        cos = manager.create(c, new Shape(config.maxPositions(), hd));
        sin = manager.create(s, new Shape(config.maxPositions(), hd));
    }

    /**
     * Loads a directory written by {@link #save(Path)} (or any Llama checkpoint of the same form: float32, tied
     * embeddings, vocabulary of {@link DemoVocabulary}) back into a trainable model.
     */
    public static DemoLlama load(Path dir, NDManager parent) throws IOException {
        com.fasterxml.jackson.databind.JsonNode c =
                new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        int hidden = c.path("hidden_size").asInt();
        DemoModelConfig config = new DemoModelConfig(
                c.path("vocab_size").asInt(),
                hidden,
                c.path("num_hidden_layers").asInt(),
                c.path("num_attention_heads").asInt(),
                c.path("num_key_value_heads").asInt(),
                c.path("intermediate_size").asInt(),
                c.path("max_position_embeddings").asInt(),
                c.path("rope_theta").asDouble(10000.0),
                c.path("rms_norm_eps").asDouble(1e-5));
        DemoLlama model = new DemoLlama(config, parent, 0);
        try (NDManager tmp = parent.newSubManager()) {
            NDList list = NDList.decode(tmp, Files.readAllBytes(dir.resolve("model.safetensors")));
            if (!c.path("tie_word_embeddings").asBoolean(true)) {
                NDArray head = list.get("lm_head.weight");
                if (head == null) {
                    throw new IOException("untied checkpoint without lm_head.weight in " + dir);
                }
                model.lmHead = model.manager.create(
                        head.toType(DataType.FLOAT32, false).toFloatArray(), head.getShape());
            }
            for (Map.Entry<String, NDArray> e : model.params.entrySet()) {
                NDArray w = list.get(e.getKey());
                if (w == null) {
                    throw new IOException("missing tensor " + e.getKey() + " in " + dir);
                }
                if (w.getShape().dimension() == 2 && !e.getKey().equals("model.embed_tokens.weight")) {
                    w = w.transpose();
                }
                if (!w.getShape().equals(e.getValue().getShape())) {
                    throw new IOException("tensor " + e.getKey() + " has shape " + w.getShape() + ", expected "
                            + e.getValue().getShape());
                }
                e.getValue().set(w.toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        return model;
    }

    private void add(String name, NDArray array) {
        array.setName(name);
        array.setRequiresGradient(true);
        params.put(name, array);
    }

    private NDArray normal(Random random, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * 0.02);
        }
        return manager.create(v, new Shape(rows, cols));
    }

    private NDArray ones(int n) {
        return manager.ones(new Shape(n));
    }

    public DemoModelConfig config() {
        return config;
    }

    /** The parameters by Hugging Face tensor name (matrices in {@code [in, out]} layout, embeddings {@code [V, d]}). */
    public Map<String, NDArray> parameters() {
        return params;
    }

    /** Number of scalar parameters. */
    public long parameterCount() {
        return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    /** Logits {@code [B, T, V]} for token ids {@code [B, T]} (int32), causal attention, positions from 0. */
    public NDArray forward(NDArray ids) {
        long batch = ids.getShape().get(0);
        int t = (int) ids.getShape().get(1);
        if (t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + t + " > max positions " + config.maxPositions());
        }
        int hd = config.headDim();
        int heads = config.numHeads();
        int kv = config.numKvHeads();
        NDArray embed = p("model.embed_tokens.weight");
        NDArray x = ids.oneHot(config.vocabSize(), DataType.FLOAT32).matMul(embed);
        NDArray cosT = cos.get(new NDIndex(":" + t));
        NDArray sinT = sin.get(new NDIndex(":" + t));
        float[] maskValues = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                maskValues[i * t + j] = -1e9f;
            }
        }
        NDArray mask = ids.getManager().create(maskValues, new Shape(t, t));
        for (int l = 0; l < config.numLayers(); l++) {
            String pre = "model.layers." + l + ".";
            NDArray h = rmsNorm(x, p(pre + "input_layernorm.weight"));
            NDArray q = h.matMul(p(pre + "self_attn.q_proj.weight"))
                    .reshape(batch, t, heads, hd)
                    .transpose(0, 2, 1, 3);
            NDArray k = h.matMul(p(pre + "self_attn.k_proj.weight"))
                    .reshape(batch, t, kv, hd)
                    .transpose(0, 2, 1, 3);
            NDArray v = h.matMul(p(pre + "self_attn.v_proj.weight"))
                    .reshape(batch, t, kv, hd)
                    .transpose(0, 2, 1, 3);
            q = rope(q, cosT, sinT);
            k = repeatKv(rope(k, cosT, sinT), batch, t);
            v = repeatKv(v, batch, t);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2))
                    .mul(constant(mask.getManager(), 1.0 / Math.sqrt(hd)))
                    .add(mask);
            NDArray attn = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, t, (long) heads * hd);
            x = x.add(attn.matMul(p(pre + "self_attn.o_proj.weight")));
            h = rmsNorm(x, p(pre + "post_attention_layernorm.weight"));
            NDArray gate = h.matMul(p(pre + "mlp.gate_proj.weight"));
            NDArray up = h.matMul(p(pre + "mlp.up_proj.weight"));
            x = x.add(gate.mul(Activation.sigmoid(gate)).mul(up).matMul(p(pre + "mlp.down_proj.weight")));
        }
        x = rmsNorm(x, p("model.norm.weight"));
        return x.matMul((lmHead != null ? lmHead : embed).transpose());
    }

    /** HF LlamaRMSNorm: {@code w * x / sqrt(mean(x^2) + eps)}. */
    private NDArray rmsNorm(NDArray x, NDArray w) {
        return x.mul(x.square()
                        .mean(new int[] {-1}, true)
                        .add(config.rmsNormEps())
                        .pow(constant(x.getManager(), -0.5)))
                .mul(w);
    }

    /**
     * A float64 0-d constant in memory libtorch owns. DJL's {@code mul(Number)} / {@code pow(Number)} wrap the number
     * in a tensor over a Java buffer that it releases right away, while autograd keeps that tensor for the backward
     * pass: a GC in between corrupts the gradients (see {@code engine.arch.Pass#constant}). Same value and dtype as
     * DJL's own scalar, so the numerics are unchanged.
     */
    private static NDArray constant(ai.djl.ndarray.NDManager manager, double value) {
        NDArray src = manager.create(value);
        NDArray owned = src.duplicate();
        src.close();
        return owned;
    }

    /** HF apply_rotary_pos_emb: {@code x*cos + rotate_half(x)*sin}, rotate_half(x) = cat(-x2, x1). */
    private NDArray rope(NDArray x, NDArray cosT, NDArray sinT) {
        int half = config.headDim() / 2;
        NDArray x1 = x.get(new NDIndex("..., :" + half));
        NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
        return x.mul(cosT).add(rotated.mul(sinT));
    }

    /** HF repeat_kv: query head h reads key/value head h / (heads / kv_heads). */
    private NDArray repeatKv(NDArray x, long batch, int t) {
        int rep = config.numHeads() / config.numKvHeads();
        if (rep == 1) {
            return x;
        }
        int kv = config.numKvHeads();
        int hd = config.headDim();
        return x.expandDims(2).broadcast(new Shape(batch, kv, rep, t, hd)).reshape(batch, (long) kv * rep, t, hd);
    }

    /**
     * Writes {@code config.json}, {@code model.safetensors} (HF names, {@code [out, in]} matrices, float32),
     * {@code tokenizer.json}, {@code tokenizer_config.json} and {@code generation_config.json} to {@code dir}.
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve("config.json").toFile(), configJson(json));
        json.writeValue(dir.resolve("tokenizer.json").toFile(), DemoVocabulary.tokenizerJson(json));
        json.writeValue(
                dir.resolve("tokenizer_config.json").toFile(),
                DemoVocabulary.tokenizerConfigJson(json, config.maxPositions()));
        ObjectNode gen = json.createObjectNode();
        gen.put("bos_token_id", DemoVocabulary.BOS_ID);
        gen.put("eos_token_id", DemoVocabulary.EOS_ID);
        gen.put("pad_token_id", DemoVocabulary.PAD_ID);
        gen.put("do_sample", false);
        json.writeValue(dir.resolve("generation_config.json").toFile(), gen);
        try (NDManager out = manager.newSubManager()) {
            List<NDArray> tensors = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray w = e.getValue().stopGradient();
                if (w.getShape().dimension() == 2 && !e.getKey().equals("model.embed_tokens.weight")) {
                    w = w.transpose();
                }
                NDArray copy = out.create(w.toFloatArray(), w.getShape());
                copy.setName(e.getKey());
                tensors.add(copy);
            }
            Files.write(dir.resolve("model.safetensors"), new NDList(tensors).encode(NDList.Encoding.SAFETENSORS));
        }
    }

    private ObjectNode configJson(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("vocab_size", config.vocabSize());
        c.put("hidden_size", config.hiddenSize());
        c.put("intermediate_size", config.intermediateSize());
        c.put("num_hidden_layers", config.numLayers());
        c.put("num_attention_heads", config.numHeads());
        c.put("num_key_value_heads", config.numKvHeads());
        c.put("head_dim", config.headDim());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", config.maxPositions());
        c.put("rms_norm_eps", config.rmsNormEps());
        c.put("rope_theta", config.ropeTheta());
        c.putNull("rope_scaling");
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("mlp_bias", false);
        c.put("initializer_range", 0.02);
        c.put("pretraining_tp", 1);
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", DemoVocabulary.BOS_ID);
        c.put("eos_token_id", DemoVocabulary.EOS_ID);
        c.put("pad_token_id", DemoVocabulary.PAD_ID);
        c.put("torch_dtype", "float32");
        c.put("use_cache", true);
        c.put("transformers_version", "4.46.0");
        return c;
    }

    @Override
    public void close() {
        manager.close();
    }
}
