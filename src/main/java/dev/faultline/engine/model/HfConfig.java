package dev.faultline.engine.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.faultline.engine.ModelConfig;
import dev.faultline.engine.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The fields of a Hugging Face {@code config.json} the forward pass needs, with each family's defaults applied and
 * unsupported options refused (a clear {@link ModelLoadException}, never a silently wrong forward).
 */
public record HfConfig(
        Family family,
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int maxPositions,
        boolean tiedEmbeddings,
        int bosId,
        double normEps,
        double ropeTheta,
        boolean attentionBias,
        boolean mlpBias,
        String activation,
        int[] slidingWindowPerLayer,
        Rope[] ropePerLayer) {

    /** The architecture families the forward pass implements. */
    public enum Family {
        /** Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama: pre-norm RMSNorm, RoPE, GQA, SwiGLU. */
        LLAMA,
        /** Qwen3: Llama plus per-head RMSNorm of q and k over head_dim. */
        QWEN3,
        /** OLMo-2 / OLMo-3: RMSNorm of the full q and k projections, post-norm blocks. */
        OLMO2,
        /** GPT-2: learned positions, LayerNorm with bias, gelu_new, Conv1D weights. */
        GPT2
    }

    /** Whether the q and k norms act per head over head_dim (Qwen3) rather than over the whole projection (OLMo). */
    public boolean perHeadQkNorm() {
        return family == Family.QWEN3;
    }

    /** Whether the norms are LayerNorms, each row centred first (GPT-2), rather than RMSNorms. */
    public boolean centredNorm() {
        return family == Family.GPT2;
    }

    /** Whether the MLP is one gelu_new projection (GPT-2) rather than a gated SwiGLU. */
    public boolean geluMlp() {
        return family == Family.GPT2;
    }

    /** Reads and validates {@code dir/config.json}. */
    public static HfConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("no config.json in " + dir);
        }
        JsonObject c;
        try {
            c = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String type = str(c, "model_type", null);
        if (type == null) {
            throw new ModelLoadException(file + " has no model_type");
        }
        type = type.toLowerCase(Locale.ROOT);
        return switch (type) {
            case "gpt2" -> gpt2(c);
            case "llama", "mistral", "qwen2", "qwen3", "olmo2", "olmo3", "smollm", "smollm2" -> llama(c, type);
            default ->
                throw new ModelLoadException("unsupported model_type '" + type
                        + "' (supported: llama, mistral, qwen2, qwen3, olmo2, olmo3, gpt2)");
        };
    }

    private static HfConfig gpt2(JsonObject c) {
        int d = req(c, "n_embd");
        int layers = req(c, "n_layer");
        int heads = req(c, "n_head");
        int inner = intOr(c, "n_inner", 4 * d);
        String act = str(c, "activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new ModelLoadException("gpt2 activation_function '" + act + "' is not supported (gelu_new only)");
        }
        if (!bool(c, "scale_attn_weights", true)
                || bool(c, "scale_attn_by_inverse_layer_idx", false)
                || bool(c, "reorder_and_upcast_attn", false)) {
            throw new ModelLoadException("gpt2 attention scaling options other than the default are not supported");
        }
        if (d % heads != 0) {
            throw new ModelLoadException("n_embd " + d + " is not a multiple of n_head " + heads);
        }
        return new HfConfig(
                Family.GPT2,
                "gpt2",
                req(c, "vocab_size"),
                d,
                layers,
                heads,
                heads,
                d / heads,
                inner,
                intOr(c, "n_positions", 1024),
                bool(c, "tie_word_embeddings", true),
                bos(c),
                dbl(c, "layer_norm_epsilon", 1e-5),
                0,
                true,
                true,
                "gelu_new",
                new int[layers],
                new Rope[layers]);
    }

    private static HfConfig llama(JsonObject c, String type) {
        Family family = switch (type) {
            case "qwen3" -> Family.QWEN3;
            case "olmo2", "olmo3" -> Family.OLMO2;
            default -> Family.LLAMA;
        };
        int d = req(c, "hidden_size");
        int layers = req(c, "num_hidden_layers");
        int heads = req(c, "num_attention_heads");
        int kv = intOr(c, "num_key_value_heads", heads);
        int headDim = intOr(c, "head_dim", d / heads);
        if (heads % kv != 0) {
            throw new ModelLoadException(
                    "num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kv);
        }
        String act = str(c, "hidden_act", "silu");
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new ModelLoadException("hidden_act '" + act + "' is not supported (silu only)");
        }
        double partial = dbl(c, "partial_rotary_factor", 1.0);
        if (partial != 1.0) {
            throw new ModelLoadException("partial_rotary_factor " + partial + " is not supported");
        }
        if (headDim % 2 != 0) {
            throw new ModelLoadException("head_dim " + headDim + " must be even for RoPE");
        }
        boolean defaultBias = type.equals("qwen2");
        boolean attnBias = bool(c, "attention_bias", defaultBias);
        int[] windows = new int[layers];
        Integer window = c.has("sliding_window") && !c.get("sliding_window").isJsonNull()
                ? c.get("sliding_window").getAsInt()
                : null;
        if (window != null) {
            boolean use = switch (type) {
                case "qwen2", "qwen3" -> bool(c, "use_sliding_window", false);
                default -> true;
            };
            JsonArray kinds =
                    c.has("layer_types") && c.get("layer_types").isJsonArray() ? c.getAsJsonArray("layer_types") : null;
            if (kinds != null && kinds.size() != layers) {
                throw new ModelLoadException("layer_types has " + kinds.size() + " entries for " + layers + " layers");
            }
            for (int i = 0; i < layers && use; i++) {
                // OLMo-3's default layer_types: three sliding-window layers, then one full-attention layer
                boolean sliding = kinds == null
                        ? !type.equals("olmo3") || (i + 1) % 4 != 0
                        : "sliding_attention".equals(kinds.get(i).getAsString());
                if (type.startsWith("qwen") && kinds == null) {
                    sliding = i >= intOr(c, "max_window_layers", 0);
                }
                windows[i] = sliding ? window : 0;
            }
        }
        Rope[] ropes = ropes(c, type, windows, headDim);
        return new HfConfig(
                family,
                type,
                req(c, "vocab_size"),
                d,
                layers,
                heads,
                kv,
                headDim,
                req(c, "intermediate_size"),
                intOr(c, "max_position_embeddings", 2048),
                bool(c, "tie_word_embeddings", false),
                bos(c),
                dbl(c, "rms_norm_eps", 1e-6),
                theta(c),
                attnBias,
                bool(c, "mlp_bias", false),
                "silu",
                windows,
                ropes);
    }

    private static final String FULL = "full_attention";
    private static final String SLIDING = "sliding_attention";

    /**
     * The RoPE of every layer, from either config layout: the legacy one (top-level {@code rope_theta}, scaling in
     * {@code rope_scaling}, its type as {@code rope_type} or {@code type}) or the one transformers 5 writes
     * ({@code rope_parameters} holding {@code rope_theta} and the scaling, either one object for every layer or one
     * per layer type, keyed {@code full_attention} / {@code sliding_attention}). OLMo-3 scales its full-attention
     * layers only; its sliding-window layers keep plain RoPE on the same θ (as transformers routes it).
     */
    static Rope[] ropes(JsonObject c, String type, int[] windows, int headDim) {
        JsonObject params = obj(c, "rope_parameters");
        JsonObject legacy = obj(c, "rope_scaling");
        Rope[] out = new Rope[windows.length];
        if (params != null && (params.has(FULL) || params.has(SLIDING))) {
            for (String key : params.keySet()) {
                if (!key.equals(FULL) && !key.equals(SLIDING)) {
                    throw new ModelLoadException("rope_parameters mixes per-layer-type entries with '" + key + "'");
                }
            }
            Rope full = params.has(FULL) ? ropeOf(c, params.getAsJsonObject(FULL), headDim) : null;
            Rope sliding = params.has(SLIDING) ? ropeOf(c, params.getAsJsonObject(SLIDING), headDim) : null;
            for (int i = 0; i < out.length; i++) {
                String kind = windows[i] > 0 ? SLIDING : FULL;
                out[i] = windows[i] > 0 ? sliding : full;
                if (out[i] == null) {
                    throw new ModelLoadException("rope_parameters has no entry for layer " + i + "'s type " + kind);
                }
            }
            return out;
        }
        if (params != null && legacy != null && !Rope.typeOf(legacy).equals(Rope.typeOf(params))) {
            throw new ModelLoadException("rope_scaling (" + Rope.typeOf(legacy) + ") and rope_parameters ("
                    + Rope.typeOf(params) + ") disagree");
        }
        Rope scaled = ropeOf(c, params != null ? params : legacy, headDim);
        Rope plain = Rope.plain(theta(c), headDim);
        for (int i = 0; i < out.length; i++) {
            out[i] = type.equals("olmo3") && windows[i] > 0 ? plain : scaled;
        }
        return out;
    }

    private static Rope ropeOf(JsonObject c, JsonObject params, int headDim) {
        double theta = params != null && params.has("rope_theta")
                ? params.get("rope_theta").getAsDouble()
                : theta(c);
        return Rope.of(params, theta, headDim);
    }

    /**
     * The base θ: top-level {@code rope_theta}, or the one in a flat {@code rope_parameters} (transformers 5); both
     * present and different is an error, neither is Hugging Face's default 10,000.
     */
    private static double theta(JsonObject c) {
        JsonObject params = obj(c, "rope_parameters");
        Double nested = params != null && params.has("rope_theta")
                ? params.get("rope_theta").getAsDouble()
                : null;
        Double top = c.has("rope_theta") && !c.get("rope_theta").isJsonNull()
                ? c.get("rope_theta").getAsDouble()
                : null;
        if (nested != null && top != null && !nested.equals(top)) {
            throw new ModelLoadException(
                    "rope_theta " + top + " and rope_parameters.rope_theta " + nested + " disagree");
        }
        return nested != null ? nested : top != null ? top : 10000.0;
    }

    private static JsonObject obj(JsonObject c, String key) {
        JsonElement e = c.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw new ModelLoadException(key + " must be an object, not " + e);
        }
        return e.getAsJsonObject();
    }

    /** The public summary of this configuration. */
    public ModelConfig toModelConfig() {
        return new ModelConfig(
                modelType,
                vocabSize,
                hiddenSize,
                numLayers,
                numHeads,
                numKvHeads,
                headDim,
                intermediateSize,
                maxPositions,
                tiedEmbeddings,
                bosId);
    }

    private static int bos(JsonObject c) {
        JsonElement e = c.get("bos_token_id");
        if (e == null || e.isJsonNull()) {
            return -1;
        }
        return e.isJsonArray() ? e.getAsJsonArray().get(0).getAsInt() : e.getAsInt();
    }

    private static int req(JsonObject c, String key) {
        JsonElement e = c.get(key);
        if (e == null || e.isJsonNull()) {
            throw new ModelLoadException("config.json lacks " + key);
        }
        return e.getAsInt();
    }

    private static int intOr(JsonObject c, String key, int def) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsInt();
    }

    private static double dbl(JsonObject c, String key, double def) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsDouble();
    }

    private static boolean bool(JsonObject c, String key, boolean def) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsBoolean();
    }

    private static String str(JsonObject c, String key, String def) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsString();
    }
}
