package dev.faultline.engine;

/**
 * The architecture facts of a loaded checkpoint that callers need (read from {@code config.json}).
 *
 * @param modelType      {@code llama}, {@code qwen2}, {@code qwen3}, {@code olmo2}, {@code olmo3}, {@code gpt2}, ...
 * @param maxPositions   the longest input the model accepts ({@code max_position_embeddings} / {@code n_positions})
 * @param bosId          id of the beginning-of-sequence token, or -1 when the model has none
 */
public record ModelConfig(
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
        int bosId) {}
