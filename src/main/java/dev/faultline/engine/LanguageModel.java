package dev.faultline.engine;

import java.nio.file.Path;

/** A checkpoint loaded from a Hugging Face directory onto a DJL device, ready for forward and attribution passes. */
public interface LanguageModel extends AutoCloseable {

    /** The directory it was loaded from. */
    Path directory();

    ModelConfig config();

    /** The tokenizer; throws {@link IllegalStateException} when the directory has no {@code tokenizer.json}. */
    TextTokenizer tokenizer();

    /** Whether the directory had a {@code tokenizer.json} (test checkpoints may have ids only). */
    default boolean hasTokenizer() {
        return true;
    }

    /** The dtype the weights were cast to and all passes compute in. */
    DType dtype();

    /** {@code cpu} or {@code gpu}: where the weights live. */
    String device();

    /** Native bytes held by the weights (for the registry's LRU). */
    long weightBytes();

    /** Frees the weights. */
    @Override
    void close();
}
