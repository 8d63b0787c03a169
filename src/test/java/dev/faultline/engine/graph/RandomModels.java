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

    /** A random Llama (RMSNorm, RoPE, GQA, SwiGLU), untied head, no biases. */
    static Path llama(
            Path dir,
            long seed,
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int inter,
            int maxPositions,
            double scale)
            throws IOException {
        return llama(dir, seed, vocab, hidden, layers, heads, kvHeads, inter, maxPositions, scale, 1.0);
    }

    /** As above with the embeddings' standard deviation given (Hugging Face initialises all with 0.02). */
    static Path llama(
            Path dir,
            long seed,
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int inter,
            int maxPositions,
            double scale,
            double embedStd)
            throws IOException {
        return family(
                dir,
                "llama",
                seed,
                vocab,
                hidden,
                layers,
                heads,
                kvHeads,
                inter,
                maxPositions,
                scale,
                embedStd,
                0,
                scale);
    }

    /**
     * A random member of the Llama family by {@code modelType}: "mistral" (a Llama with {@code window}-token
     * sliding-window attention), "qwen3" (per-head q/k RMSNorm), "olmo2" (q/k RMSNorm over the whole projections,
     * norms after attention and MLP instead of before) or "olmo3" (OLMo-2 with sliding-window layers, every fourth
     * full), "qwen2" (a Llama with q/k/v biases, Qwen2's attention_bias) or "llama"; untied head, no other biases.
     * {@code window} 0: none (mistral, olmo3 need one).
     */
    static Path family(
            Path dir,
            String modelType,
            long seed,
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int inter,
            int maxPositions,
            double scale,
            int window)
            throws IOException {
        return family(
                dir,
                modelType,
                seed,
                vocab,
                hidden,
                layers,
                heads,
                kvHeads,
                inter,
                maxPositions,
                scale,
                1.0,
                window,
                scale);
    }

    /**
     * As above with the query and key projections' standard deviation {@code qkStd}: a small one leaves the raw
     * queries and keys near the q/k norms' ε, so those norms' gradient (under gradient×input) is far from 0.
     */
    static Path family(
            Path dir,
            String modelType,
            long seed,
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int inter,
            int maxPositions,
            double scale,
            int window,
            double qkStd)
            throws IOException {
        return family(
                dir,
                modelType,
                seed,
                vocab,
                hidden,
                layers,
                heads,
                kvHeads,
                inter,
                maxPositions,
                scale,
                1.0,
                window,
                qkStd);
    }

    private static Path family(
            Path dir,
            String modelType,
            long seed,
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int inter,
            int maxPositions,
            double scale,
            double embedStd,
            int window,
            double qkStd)
            throws IOException {
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
        return write(dir, config, t);
    }

    /** A random GPT-2 (LayerNorm with bias, learned positions, gelu_new, Conv1D weights, biases everywhere). */
    static Path gpt2(Path dir, long seed, int vocab, int hidden, int layers, int heads, int maxPositions, double scale)
            throws IOException {
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
        return write(dir, config, t);
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
