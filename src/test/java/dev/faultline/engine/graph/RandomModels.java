package dev.faultline.engine.graph;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Writes random Hugging Face checkpoints (config.json + F32 model.safetensors) for engine tests and benches. */
final class RandomModels {

    private RandomModels() {}

    /**
     * A tiny random member of the Llama family or a GPT-2 by {@code modelType}: "llama" (RMSNorm, RoPE, GQA,
     * SwiGLU), "mistral" (a Llama with {@link Spec#window sliding-window} attention), "qwen3" (per-head q/k
     * RMSNorm), "olmo2" (q/k RMSNorm over the whole projections, norms after attention and MLP instead of before),
     * "olmo3" (OLMo-2 with sliding-window layers, every fourth full), "qwen2" (a Llama with q/k/v biases, Qwen2's
     * attention_bias), all with an untied head and no other biases; or "gpt2" (LayerNorm with bias, learned
     * positions, gelu_new, Conv1D weights, biases everywhere, tied head). Vocabulary 40, hidden 16, 2 layers, 4 heads
     * / 2 KV heads, intermediate 24, 64 positions, weights N(0, 0.4), embeddings N(0, 1), no window, seed 0: change
     * what a test needs by name.
     */
    static Spec of(String modelType) {
        return new Spec(modelType);
    }

    /**
     * A random {@code modelType} shaped like TinyStories-260K (vocabulary 512, hidden 64, 5 layers, 8 heads / 4 KV
     * heads, intermediate 172), weights N(0, 0.02) (Hugging Face's initializer_range), embeddings N(0, 1).
     */
    static Spec tinyStoriesLike(String modelType) {
        return of(modelType)
                .vocab(512)
                .hidden(64)
                .layers(5)
                .heads(8)
                .kvHeads(4)
                .inter(172)
                .scale(0.02);
    }

    /** One random checkpoint to write: the defaults of {@link #of}, each changed by the method of its name. */
    static final class Spec {
        private final String modelType;
        private long seed;
        private int vocab = 40;
        private int hidden = 16;
        private int layers = 2;
        private int heads = 4;
        private int kvHeads = 2;
        private int inter = 24;
        private int maxPositions = 64;
        private double scale = 0.4;
        private double embedStd = 1.0;
        private int window;
        private double qkStd = Double.NaN; // NaN: scale

        private Spec(String modelType) {
            this.modelType = modelType;
        }

        /** The seed of every weight. */
        Spec seed(long seed) {
            this.seed = seed;
            return this;
        }

        Spec vocab(int vocab) {
            this.vocab = vocab;
            return this;
        }

        Spec hidden(int hidden) {
            this.hidden = hidden;
            return this;
        }

        Spec layers(int layers) {
            this.layers = layers;
            return this;
        }

        Spec heads(int heads) {
            this.heads = heads;
            return this;
        }

        /** Key/value heads (not GPT-2, whose heads all have their own). */
        Spec kvHeads(int kvHeads) {
            this.kvHeads = kvHeads;
            return this;
        }

        /** The MLP's intermediate size (not GPT-2, whose is 4 × hidden). */
        Spec inter(int inter) {
            this.inter = inter;
            return this;
        }

        /** max_position_embeddings (GPT-2: rows of the learned positions). */
        Spec maxPositions(int maxPositions) {
            this.maxPositions = maxPositions;
            return this;
        }

        /** The standard deviation of the weights (and of the query and key projections unless {@link #qkStd}). */
        Spec scale(double scale) {
            this.scale = scale;
            return this;
        }

        /** The token embeddings' standard deviation (not GPT-2); Hugging Face initialises all weights with 0.02. */
        Spec embedStd(double embedStd) {
            this.embedStd = embedStd;
            return this;
        }

        /** A sliding window of {@code window} tokens (mistral and olmo3 need one; 0: none; not GPT-2). */
        Spec window(int window) {
            this.window = window;
            return this;
        }

        /**
         * The query and key projections' standard deviation (not GPT-2): a small one leaves the raw queries and keys
         * near the q/k norms' ε, so those norms' gradient (under gradient×input) is far from 0.
         */
        Spec qkStd(double qkStd) {
            this.qkStd = qkStd;
            return this;
        }

        /** Writes the checkpoint into {@code dir}; returns {@code dir}. */
        Path write(Path dir) throws IOException {
            return modelType.equals("gpt2") ? gpt2(dir) : llamaFamily(dir);
        }

        private Path llamaFamily(Path dir) throws IOException {
            double qkStd = Double.isNaN(this.qkStd) ? scale : this.qkStd;
            int hd = hidden / heads;
            boolean olmo = modelType.startsWith("olmo");
            Random rnd = new Random(seed);
            Map<String, float[][]> t = new LinkedHashMap<>();
            put(t, "model.embed_tokens.weight", rnd, embedStd, vocab, hidden);
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                if (!olmo) {
                    norm(t, p + "input_layernorm.weight", rnd, hidden);
                }
                put(t, p + "self_attn.q_proj.weight", rnd, qkStd, heads * hd, hidden);
                put(t, p + "self_attn.k_proj.weight", rnd, qkStd, kvHeads * hd, hidden);
                put(t, p + "self_attn.v_proj.weight", rnd, scale, kvHeads * hd, hidden);
                put(t, p + "self_attn.o_proj.weight", rnd, scale, hidden, heads * hd);
                if (modelType.equals("qwen2")) {
                    put(t, p + "self_attn.q_proj.bias", rnd, 0.3, heads * hd);
                    put(t, p + "self_attn.k_proj.bias", rnd, 0.3, kvHeads * hd);
                    put(t, p + "self_attn.v_proj.bias", rnd, 0.3, kvHeads * hd);
                }
                if (modelType.equals("qwen3")) {
                    norm(t, p + "self_attn.q_norm.weight", rnd, hd);
                    norm(t, p + "self_attn.k_norm.weight", rnd, hd);
                } else if (olmo) {
                    norm(t, p + "self_attn.q_norm.weight", rnd, heads * hd);
                    norm(t, p + "self_attn.k_norm.weight", rnd, kvHeads * hd);
                    norm(t, p + "post_feedforward_layernorm.weight", rnd, hidden);
                }
                norm(t, p + "post_attention_layernorm.weight", rnd, hidden);
                put(t, p + "mlp.gate_proj.weight", rnd, scale, inter, hidden);
                put(t, p + "mlp.up_proj.weight", rnd, scale, inter, hidden);
                put(t, p + "mlp.down_proj.weight", rnd, scale, hidden, inter);
            }
            norm(t, "model.norm.weight", rnd, hidden);
            put(t, "lm_head.weight", rnd, scale, vocab, hidden);
            String config = """
                    {"model_type": "%s", "vocab_size": %d, "hidden_size": %d, "intermediate_size": %d,
                     "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d,
                     "hidden_act": "silu", "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": %d,
                     "tie_word_embeddings": false, "attention_bias": %s, "mlp_bias": false%s}
                    """.formatted(
                            modelType,
                            vocab,
                            hidden,
                            inter,
                            layers,
                            heads,
                            kvHeads,
                            hd,
                            maxPositions,
                            modelType.equals("qwen2"),
                            window > 0 ? ", \"sliding_window\": " + window : "");
            return RandomModels.write(dir, config, t);
        }

        private Path gpt2(Path dir) throws IOException {
            Random rnd = new Random(seed);
            Map<String, float[][]> t = new LinkedHashMap<>();
            put(t, "wte.weight", rnd, 1.0, vocab, hidden);
            put(t, "wpe.weight", rnd, 0.5, maxPositions, hidden);
            for (int l = 0; l < layers; l++) {
                String p = "h." + l + ".";
                norm(t, p + "ln_1.weight", rnd, hidden);
                put(t, p + "ln_1.bias", rnd, 0.1, hidden);
                put(t, p + "attn.c_attn.weight", rnd, scale, hidden, 3 * hidden);
                put(t, p + "attn.c_attn.bias", rnd, 0.1, 3 * hidden);
                put(t, p + "attn.c_proj.weight", rnd, scale, hidden, hidden);
                put(t, p + "attn.c_proj.bias", rnd, 0.1, hidden);
                norm(t, p + "ln_2.weight", rnd, hidden);
                put(t, p + "ln_2.bias", rnd, 0.1, hidden);
                put(t, p + "mlp.c_fc.weight", rnd, scale, hidden, 4 * hidden);
                put(t, p + "mlp.c_fc.bias", rnd, 0.1, 4 * hidden);
                put(t, p + "mlp.c_proj.weight", rnd, scale, 4 * hidden, hidden);
                put(t, p + "mlp.c_proj.bias", rnd, 0.1, hidden);
            }
            norm(t, "ln_f.weight", rnd, hidden);
            put(t, "ln_f.bias", rnd, 0.1, hidden);
            String config = """
                    {"model_type": "gpt2", "vocab_size": %d, "n_embd": %d, "n_layer": %d, "n_head": %d,
                     "n_positions": %d, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
                     "tie_word_embeddings": true}
                    """.formatted(vocab, hidden, layers, heads, maxPositions);
            return RandomModels.write(dir, config, t);
        }
    }

    private static void put(Map<String, float[][]> t, String name, Random rnd, double std, int... shape) {
        int n = 1;
        float[] s = new float[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            s[i] = shape[i];
        }
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (rnd.nextGaussian() * std);
        }
        t.put(name, new float[][] {s, d});
    }

    private static void norm(Map<String, float[][]> t, String name, Random rnd, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (1 + 0.1 * rnd.nextGaussian());
        }
        t.put(name, new float[][] {{n}, d});
    }

    private static Path write(Path dir, String config, Map<String, float[][]> tensors) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, float[][]> e : tensors.entrySet()) {
            float[] shape = e.getValue()[0];
            long bytes = 4L * e.getValue()[1].length;
            if (header.length() > 1) {
                header.append(',');
            }
            header.append('"').append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":[");
            for (int i = 0; i < shape.length; i++) {
                header.append(i > 0 ? "," : "").append((long) shape[i]);
            }
            header.append("],\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + bytes)
                    .append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(dir.resolve("model.safetensors"))) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            out.write(len.array());
            out.write(h);
            for (float[][] v : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * v[1].length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v[1]) {
                    b.putFloat(f);
                }
                out.write(b.array());
            }
        }
        return dir;
    }
}
