package dev.faultline.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Writes small random checkpoints in Hugging Face layout (config.json + safetensors: F32 written by DJL's
 * {@code NDList.encode(SAFETENSORS)}, BF16 by hand; one file or shards with an index), for architectures that have
 * no shared reference model.
 */
final class RandomCheckpoint {

    private final Map<String, Object> config = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private long seed = 7;
    private DataType storeAs = DataType.FLOAT32;
    private int shards = 1;
    private boolean bf16Values;

    static RandomCheckpoint llamaLike(String modelType, int layers) {
        return llamaLike(modelType, layers, 32, 4, 2, 48, 50, 64);
    }

    /** A random Llama with TinyStories-260K's sizes (hidden 64, 5 layers, 8/4 heads, vocab 512), longer context. */
    static RandomCheckpoint tinyStoriesLike(int maxPositions) {
        return llamaLike("llama", 5, 64, 8, 4, 172, 512, maxPositions);
    }

    static RandomCheckpoint llamaLike(
            String modelType, int layers, int d, int heads, int kv, int ff, int vocab, int maxPositions) {
        return llamaLike(modelType, layers, d, heads, kv, 8, ff, vocab, maxPositions);
    }

    /** As above with head dimension {@code hd}, which need not be {@code d / heads}. */
    static RandomCheckpoint llamaLike(
            String modelType, int layers, int d, int heads, int kv, int hd, int ff, int vocab, int maxPositions) {
        RandomCheckpoint c = new RandomCheckpoint();
        c.config.put("model_type", modelType);
        c.config.put("vocab_size", vocab);
        c.config.put("hidden_size", d);
        c.config.put("intermediate_size", ff);
        c.config.put("num_hidden_layers", layers);
        c.config.put("num_attention_heads", heads);
        c.config.put("num_key_value_heads", kv);
        c.config.put("head_dim", hd);
        c.config.put("rms_norm_eps", 1e-6);
        c.config.put("rope_theta", 10000.0);
        c.config.put("max_position_embeddings", maxPositions);
        c.config.put("tie_word_embeddings", false);
        boolean olmo = modelType.startsWith("olmo");
        c.shapes.put("model.embed_tokens.weight", new long[] {vocab, d});
        c.shapes.put("lm_head.weight", new long[] {vocab, d});
        c.shapes.put("model.norm.weight", new long[] {d});
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            c.shapes.put(p + "self_attn.q_proj.weight", new long[] {heads * hd, d});
            c.shapes.put(p + "self_attn.k_proj.weight", new long[] {kv * hd, d});
            c.shapes.put(p + "self_attn.v_proj.weight", new long[] {kv * hd, d});
            c.shapes.put(p + "self_attn.o_proj.weight", new long[] {d, heads * hd});
            c.shapes.put(p + "mlp.gate_proj.weight", new long[] {ff, d});
            c.shapes.put(p + "mlp.up_proj.weight", new long[] {ff, d});
            c.shapes.put(p + "mlp.down_proj.weight", new long[] {d, ff});
            c.shapes.put(p + "post_attention_layernorm.weight", new long[] {d});
            if (olmo) {
                c.shapes.put(p + "post_feedforward_layernorm.weight", new long[] {d});
                c.shapes.put(p + "self_attn.q_norm.weight", new long[] {heads * hd});
                c.shapes.put(p + "self_attn.k_norm.weight", new long[] {kv * hd});
            } else {
                c.shapes.put(p + "input_layernorm.weight", new long[] {d});
            }
            if (modelType.equals("qwen3")) {
                c.shapes.put(p + "self_attn.q_norm.weight", new long[] {hd});
                c.shapes.put(p + "self_attn.k_norm.weight", new long[] {hd});
            }
        }
        return c;
    }

    RandomCheckpoint set(String key, Object value) {
        config.put(key, value);
        return this;
    }

    /** Leaves {@code key} out of config.json. */
    RandomCheckpoint unset(String key) {
        config.remove(key);
        return this;
    }

    RandomCheckpoint remove(String tensor) {
        shapes.remove(tensor);
        return this;
    }

    RandomCheckpoint reshape(String tensor, long... shape) {
        shapes.put(tensor, shape);
        return this;
    }

    RandomCheckpoint seed(long s) {
        seed = s;
        return this;
    }

    /** Stores the tensors as BF16 (or FLOAT16, FLOAT32). */
    RandomCheckpoint storeAs(DataType t) {
        storeAs = t;
        return this;
    }

    /**
     * Rounds the drawn values to bfloat16 whatever the file's dtype, so that an F32 checkpoint holds exactly the
     * values of the BF16 checkpoint with the same seed.
     */
    RandomCheckpoint bf16Values() {
        bf16Values = true;
        return this;
    }

    /** Splits the tensors over n files with a {@code model.safetensors.index.json}. */
    RandomCheckpoint shards(int n) {
        shards = n;
        return this;
    }

    Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), json(config));
            Random r = new Random(seed);
            List<String> names = new ArrayList<>(shapes.keySet());
            Map<String, float[]> values = new LinkedHashMap<>();
            for (String name : names) { // drawn in one order, whatever the sharding
                long[] shape = shapes.get(name);
                float[] v = new float[(int) new Shape(shape).size()];
                for (int j = 0; j < v.length; j++) {
                    v[j] = (float) (shape.length == 1 ? 1.0 + 0.2 * r.nextGaussian() : 0.3 * r.nextGaussian());
                    if (bf16Values) {
                        v[j] = bf16Round(v[j]);
                    }
                }
                values.put(name, v);
            }
            Map<String, String> weightMap = new LinkedHashMap<>();
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                for (int s = 0; s < shards; s++) {
                    NDList list = new NDList();
                    for (int i = s; i < names.size(); i += shards) {
                        String name = names.get(i);
                        long[] shape = shapes.get(name);
                        NDArray a = m.create(values.get(name), new Shape(shape));
                        a.setName(name);
                        list.add(a);
                        weightMap.put(name, shards == 1 ? "model.safetensors" : shardName(s));
                    }
                    Path file = dir.resolve(shards == 1 ? "model.safetensors" : shardName(s));
                    if (storeAs == DataType.BFLOAT16) {
                        Files.write(file, bf16Safetensors(list));
                    } else {
                        Files.write(file, list.encode(NDList.Encoding.SAFETENSORS));
                    }
                }
            }
            if (shards > 1) {
                Files.writeString(
                        dir.resolve("model.safetensors.index.json"),
                        "{\"metadata\":{},\"weight_map\":" + json(new LinkedHashMap<>(weightMap)) + "}");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Round-to-nearest-even float32 → bfloat16 bits. */
    static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float32 value of {@code f} after a round trip through bfloat16. */
    static float bf16Round(float f) {
        return Float.intBitsToFloat((bf16(f) & 0xffff) << 16);
    }

    /** A hand-written safetensors file with BF16 tensors (DJL's encoder handles F32/F64). */
    private static byte[] bf16Safetensors(NDList list) {
        StringBuilder header = new StringBuilder("{");
        List<float[]> values = new ArrayList<>();
        long offset = 0;
        for (NDArray a : list) {
            float[] v = a.toFloatArray();
            values.add(v);
            if (header.length() > 1) {
                header.append(',');
            }
            header.append('"')
                    .append(a.getName())
                    .append("\":{\"dtype\":\"BF16\",\"shape\":")
                    .append(java.util.Arrays.toString(a.getShape().getShape()).replace(" ", ""))
                    .append(",\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + 2L * v.length)
                    .append("]}");
            offset += 2L * v.length;
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(Math.toIntExact(8 + h.length + offset))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h);
        for (float[] v : values) {
            for (float f : v) {
                out.putShort(bf16(f));
            }
        }
        return out.array();
    }

    private String shardName(int s) {
        return String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
    }

    @SuppressWarnings("unchecked")
    private static String json(Object o) {
        if (o instanceof Map<?, ?> map) {
            return map.entrySet().stream()
                    .map(e -> "\"" + e.getKey() + "\":" + json(e.getValue()))
                    .collect(Collectors.joining(",", "{", "}"));
        }
        if (o instanceof List<?> list) {
            return list.stream().map(RandomCheckpoint::json).collect(Collectors.joining(",", "[", "]"));
        }
        if (o instanceof String s) {
            return "\"" + s + "\"";
        }
        return String.valueOf(o);
    }
}
