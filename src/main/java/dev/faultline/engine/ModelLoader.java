package dev.faultline.engine;

import java.nio.file.Path;

/** Loads Hugging Face checkpoint directories (config.json, safetensors, tokenizer.json). */
public final class ModelLoader {

    private ModelLoader() {
    }

    /**
     * Loads {@code dir} with weights cast to {@code dtype} on {@code device} ({@code cpu} or {@code gpu}).
     *
     * @throws ModelLoadException naming the problem (missing file or tensor, shape mismatch, unsupported type)
     */
    public static LanguageModel load(Path dir, DType dtype, String device) {
        throw new UnsupportedOperationException("TODO(issue 3): engine not implemented yet");
    }
}
