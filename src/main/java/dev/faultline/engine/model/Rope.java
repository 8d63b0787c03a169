package dev.faultline.engine.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.faultline.engine.ModelLoadException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rotary position embedding of one attention layer: the inverse frequencies, one per pair of the head's rotate-half
 * halves, and the attention factor that multiplies both cos and sin (so the attention scores by its square). Computed
 * in float64 as Hugging Face's {@code modeling_rope_utils.py} defines each {@code rope_type}: {@code default},
 * {@code linear}, {@code llama3} and {@code yarn}. Any other type, and any parameter this class does not know, is
 * refused with a {@link ModelLoadException} naming it: a silent default would give a plausible wrong forward.
 */
public record Rope(String type, double[] invFreq, double attentionFactor) {

    /** The types computed here. */
    public static final Set<String> TYPES = Set.of("default", "linear", "llama3", "yarn");

    /** Keys a RoPE parameter object may carry (both spellings of the type: {@code rope_type}, legacy {@code type}). */
    private static final Set<String> KEYS = Set.of(
            "rope_type",
            "type",
            "rope_theta",
            "factor",
            "original_max_position_embeddings",
            "low_freq_factor",
            "high_freq_factor",
            "beta_fast",
            "beta_slow",
            "attention_factor",
            "mscale",
            "mscale_all_dim",
            "truncate",
            "partial_rotary_factor");

    /** Unscaled RoPE, f_i = θ^(−2i/hd). */
    public static Rope plain(double theta, int headDim) {
        return new Rope("default", defaultFrequencies(theta, headDim), 1.0);
    }

    /**
     * The RoPE that {@code params} (a {@code rope_scaling} or {@code rope_parameters} object, or null for none)
     * describes, on base {@code theta} and head size {@code headDim}.
     */
    public static Rope of(JsonObject params, double theta, int headDim) {
        if (params == null) {
            return plain(theta, headDim);
        }
        for (Map.Entry<String, JsonElement> e : params.entrySet()) {
            if (!KEYS.contains(e.getKey())) {
                throw new ModelLoadException("RoPE parameter '" + e.getKey() + "' is not understood (known: "
                        + String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
        }
        String type = typeOf(params);
        double partial = num(params, "partial_rotary_factor", 1.0);
        if (partial != 1.0) {
            throw new ModelLoadException("partial_rotary_factor " + partial + " is not supported");
        }
        double[] f = defaultFrequencies(theta, headDim);
        return switch (type) {
            case "default" -> new Rope(type, f, 1.0);
            case "linear" -> {
                double factor = required(params, "factor", type);
                yield new Rope(type, Arrays.stream(f).map(x -> x / factor).toArray(), 1.0);
            }
            case "llama3" -> llama3(params, f);
            case "yarn" -> yarn(params, f, theta, headDim);
            default ->
                throw new ModelLoadException("RoPE type '" + type + "' is not supported (supported: "
                        + String.join(", ", TYPES.stream().sorted().toList()) + ")");
        };
    }

    /** The type named by {@code rope_type}, or the legacy {@code type}; {@code default} when neither is given. */
    public static String typeOf(JsonObject params) {
        JsonElement t = params.has("rope_type") ? params.get("rope_type") : params.get("type");
        return t == null || t.isJsonNull() ? "default" : t.getAsString().toLowerCase(Locale.ROOT);
    }

    static double[] defaultFrequencies(double theta, int headDim) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        return f;
    }

    /**
     * Llama 3.1: wavelengths shorter than old/high_freq_factor keep their frequency, longer than old/low_freq_factor
     * are divided by factor, the band between is interpolated.
     */
    private static Rope llama3(JsonObject p, double[] f) {
        double factor = required(p, "factor", "llama3");
        double low = required(p, "low_freq_factor", "llama3");
        double high = required(p, "high_freq_factor", "llama3");
        double old = required(p, "original_max_position_embeddings", "llama3");
        double lowWavelen = old / low;
        double highWavelen = old / high;
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen < highWavelen) {
                out[i] = f[i];
            } else if (wavelen > lowWavelen) {
                out[i] = f[i] / factor;
            } else {
                double s = (old / wavelen - low) / (high - low);
                out[i] = (1 - s) * f[i] / factor + s * f[i];
            }
        }
        return new Rope("llama3", out, 1.0);
    }

    /**
     * YaRN: frequencies ramp from interpolated (f/factor) to kept between the correction dimensions of beta_fast and
     * beta_slow; the attention factor is given, or 0.1·ln(factor) + 1 (DeepSeek's mscale pair when both are set).
     */
    private static Rope yarn(JsonObject p, double[] f, double theta, int headDim) {
        double factor = required(p, "factor", "yarn");
        double old = required(p, "original_max_position_embeddings", "yarn");
        Double attention =
                p.has("attention_factor") && !p.get("attention_factor").isJsonNull()
                        ? p.get("attention_factor").getAsDouble()
                        : null;
        if (attention == null) {
            double mscale = num(p, "mscale", 0);
            double mscaleAll = num(p, "mscale_all_dim", 0);
            attention = mscale != 0 && mscaleAll != 0
                    ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAll)
                    : yarnMscale(factor, 1);
        }
        double betaFast = num(p, "beta_fast", 32);
        double betaSlow = num(p, "beta_slow", 1);
        boolean truncate = !p.has("truncate")
                || p.get("truncate").isJsonNull()
                || p.get("truncate").getAsBoolean();
        double low = correctionDim(betaFast, headDim, theta, old);
        double high = correctionDim(betaSlow, headDim, theta, old);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, headDim - 1);
        if (low == high) {
            high += 0.001;
        }
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            out[i] = f[i] / factor * ramp + f[i] * (1 - ramp);
        }
        return new Rope("yarn", out, attention);
    }

    private static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    private static double correctionDim(double rotations, int dim, double theta, double maxPositions) {
        return dim * Math.log(maxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    private static double required(JsonObject p, String key, String type) {
        JsonElement e = p.get(key);
        if (e == null || e.isJsonNull()) {
            throw new ModelLoadException("RoPE type '" + type + "' needs '" + key + "'");
        }
        return e.getAsDouble();
    }

    private static double num(JsonObject p, String key, double def) {
        JsonElement e = p.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsDouble();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rope r
                && type.equals(r.type)
                && Arrays.equals(invFreq, r.invFreq)
                && attentionFactor == r.attentionFactor;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(invFreq) + Double.hashCode(attentionFactor);
    }

    @Override
    public String toString() {
        return "Rope[" + type + ", attention factor " + attentionFactor + ", " + Arrays.toString(invFreq) + "]";
    }
}
