package dev.faultline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Random-weight checkpoints with the published shapes of real models (Qwen3-0.6B, Qwen3-1.7B, OLMo-2-1B), or any
 * {@link Shape} of those layouts or Llama's (model type {@code llama}: input and post-attention norms, no q/k norms),
 * written as Hugging Face writes them: config.json (Qwen3 in the transformers-5 layout), BF16 safetensors shards of
 * at most {@code shardBytes} with a {@code model.safetensors.index.json}, and a tokenizer when one is given. Tensors
 * are generated and written in 4 MiB pieces, so a 4 GB checkpoint needs no more than that in memory. Weights are
 * N(0, 0.02) (Hugging Face's initialiser), norm weights 1. For benchmarks: the relevances of random weights mean
 * nothing; the cost and the plumbing are real.
 */
public final class RealShapes {

    /** A published architecture: config values and the tensor shapes they imply. */
    public record Shape(
            String name,
            String modelType,
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            int intermediate,
            boolean tied,
            double ropeTheta,
            double normEps) {

        public long parameters() {
            long n = 0;
            for (long[] s : tensors().values()) {
                long c = 1;
                for (long d : s) {
                    c *= d;
                }
                n += c;
            }
            return n;
        }

        Map<String, long[]> tensors() {
            Map<String, long[]> t = new LinkedHashMap<>();
            t.put("model.embed_tokens.weight", new long[] {vocab, hidden});
            boolean olmo = modelType.startsWith("olmo");
            for (int i = 0; i < layers; i++) {
                String p = "model.layers." + i + ".";
                t.put(p + "self_attn.q_proj.weight", new long[] {(long) heads * headDim, hidden});
                t.put(p + "self_attn.k_proj.weight", new long[] {(long) kvHeads * headDim, hidden});
                t.put(p + "self_attn.v_proj.weight", new long[] {(long) kvHeads * headDim, hidden});
                t.put(p + "self_attn.o_proj.weight", new long[] {hidden, (long) heads * headDim});
                if (modelType.equals("qwen3")) {
                    t.put(p + "self_attn.q_norm.weight", new long[] {headDim});
                    t.put(p + "self_attn.k_norm.weight", new long[] {headDim});
                } else if (olmo) {
                    t.put(p + "self_attn.q_norm.weight", new long[] {(long) heads * headDim});
                    t.put(p + "self_attn.k_norm.weight", new long[] {(long) kvHeads * headDim});
                }
                t.put(p + "mlp.gate_proj.weight", new long[] {intermediate, hidden});
                t.put(p + "mlp.up_proj.weight", new long[] {intermediate, hidden});
                t.put(p + "mlp.down_proj.weight", new long[] {hidden, intermediate});
                if (!olmo) {
                    t.put(p + "input_layernorm.weight", new long[] {hidden});
                }
                t.put(p + "post_attention_layernorm.weight", new long[] {hidden});
                if (olmo) {
                    t.put(p + "post_feedforward_layernorm.weight", new long[] {hidden});
                }
            }
            t.put("model.norm.weight", new long[] {hidden});
            if (!tied) {
                t.put("lm_head.weight", new long[] {vocab, hidden});
            }
            return t;
        }
    }

    /** Qwen3-0.6B (Qwen/Qwen3-0.6B config.json). */
    public static final Shape QWEN3_0_6B =
            new Shape("qwen3-0.6b", "qwen3", 151936, 1024, 28, 16, 8, 128, 3072, true, 1_000_000, 1e-6);
    /** Qwen3-1.7B (Qwen/Qwen3-1.7B config.json). */
    public static final Shape QWEN3_1_7B =
            new Shape("qwen3-1.7b", "qwen3", 151936, 2048, 28, 16, 8, 128, 6144, true, 1_000_000, 1e-6);
    /** OLMo-2-1B (allenai/OLMo-2-0425-1B config.json). */
    public static final Shape OLMO2_1B =
            new Shape("olmo2-1b", "olmo2", 100352, 2048, 16, 16, 16, 128, 8192, false, 500_000, 1e-6);

    public static Shape byName(String name) {
        for (Shape s : List.of(QWEN3_0_6B, QWEN3_1_7B, OLMO2_1B)) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown shape " + name + " (qwen3-0.6b, qwen3-1.7b, olmo2-1b)");
    }

    private RealShapes() {}

    /**
     * Writes {@code shape} into {@code dir} (created; an existing checkpoint with the same config is kept) as BF16
     * shards of at most {@code shardBytes}, with {@code tokenizerDir}'s tokenizer files beside it when not null.
     */
    public static Path write(Shape shape, Path dir, long shardBytes, Path tokenizerDir, long seed) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = config(json, shape);
        Path configFile = dir.resolve("config.json");
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(configFile)
                && Files.isRegularFile(index)
                && json.readTree(configFile.toFile()).equals(config)) {
            return dir;
        }
        Map<String, long[]> tensors = shape.tensors();
        List<List<String>> shards = new ArrayList<>();
        long used = 0;
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long bytes = bytes(e.getValue());
            if (shards.isEmpty() || used + bytes > shardBytes) {
                shards.add(new ArrayList<>());
                used = 0;
            }
            shards.get(shards.size() - 1).add(e.getKey());
            used += bytes;
        }
        ObjectNode weightMap = json.createObjectNode();
        Rng rng = new Rng(seed);
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            ObjectNode header = json.createObjectNode();
            long offset = 0;
            for (String name : shards.get(s)) {
                ObjectNode t = header.putObject(name);
                t.put("dtype", "BF16");
                var sh = t.putArray("shape");
                for (long d : tensors.get(name)) {
                    sh.add(d);
                }
                long b = bytes(tensors.get(name));
                t.putArray("data_offsets").add(offset).add(offset + b);
                offset += b;
                weightMap.put(name, file);
            }
            total += offset;
            byte[] h = json.writeValueAsBytes(header);
            int padded = (h.length + 7) / 8 * 8;
            try (FileChannel ch = FileChannel.open(
                    dir.resolve(file),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(h);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                head.flip();
                ch.write(head);
                ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (String name : shards.get(s)) {
                    boolean norm = name.endsWith("norm.weight");
                    long n = bytes(tensors.get(name)) / 2;
                    for (long i = 0; i < n; i++) {
                        float v = norm ? 1f : (float) (0.02 * rng.gaussian());
                        buf.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                        if (!buf.hasRemaining()) {
                            buf.flip();
                            while (buf.hasRemaining()) {
                                ch.write(buf);
                            }
                            buf.clear();
                        }
                    }
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
        ObjectNode idx = json.createObjectNode();
        idx.putObject("metadata").put("total_size", total);
        idx.set("weight_map", weightMap);
        json.writerWithDefaultPrettyPrinter().writeValue(index.toFile(), idx);
        if (tokenizerDir != null) {
            for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                if (Files.isRegularFile(tokenizerDir.resolve(f))) {
                    Files.copy(tokenizerDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        try (OutputStream out = Files.newOutputStream(configFile)) { // last: a half-written checkpoint is rewritten
            out.write(json.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(config)
                    .getBytes(StandardCharsets.UTF_8));
        }
        return dir;
    }

    private static ObjectNode config(ObjectMapper json, Shape s) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures")
                .add(
                        switch (s.modelType()) {
                            case "qwen3" -> "Qwen3ForCausalLM";
                            case "llama" -> "LlamaForCausalLM";
                            default -> "Olmo2ForCausalLM";
                        });
        c.put("model_type", s.modelType());
        c.put("vocab_size", s.vocab());
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.headDim());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", s.normEps());
        c.put("max_position_embeddings", s.modelType().equals("qwen3") ? 40960 : 4096);
        c.put("tie_word_embeddings", s.tied());
        c.put("attention_bias", false);
        if (s.modelType().equals("qwen3")) { // as transformers 5 writes it
            c.put("use_sliding_window", false);
            c.putNull("sliding_window");
            c.putObject("rope_parameters").put("rope_theta", s.ropeTheta()).put("rope_type", "default");
            c.put("dtype", "bfloat16");
            c.put("bos_token_id", 151643);
            c.put("eos_token_id", 151645);
        } else {
            c.put("rope_theta", s.ropeTheta());
            c.putNull("rope_scaling");
            c.put("torch_dtype", "bfloat16");
        }
        return c;
    }

    private static long bytes(long[] shape) {
        long n = 2;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** xorshift64* with a Marsaglia polar normal: fast enough to write gigabytes. */
    private static final class Rng {
        private long s;
        private double spare = Double.NaN;

        Rng(long seed) {
            s = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
        }

        double uniform() {
            s ^= s >>> 12;
            s ^= s << 25;
            s ^= s >>> 27;
            return ((s * 0x2545F4914F6CDD1DL) >>> 11) * 0x1.0p-53;
        }

        double gaussian() {
            if (!Double.isNaN(spare)) {
                double v = spare;
                spare = Double.NaN;
                return v;
            }
            double u;
            double v;
            double q;
            do {
                u = 2 * uniform() - 1;
                v = 2 * uniform() - 1;
                q = u * u + v * v;
            } while (q >= 1 || q == 0);
            double f = Math.sqrt(-2 * Math.log(q) / q);
            spare = v * f;
            return u * f;
        }
    }
}
