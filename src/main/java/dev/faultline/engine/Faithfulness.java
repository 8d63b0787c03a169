package dev.faultline.engine;

/**
 * Perturbation check of one attribution: the drop of the logit difference when the input embeddings of the k most
 * relevant tokens are zeroed, against the drop for k random tokens (seeded); {@code informative} when the first
 * exceeds the second by the configured margin.
 */
public record Faithfulness(
        int k,
        double dropTop,
        double dropRandom,
        double margin,
        boolean informative,
        int[] topIndices,
        int[] randomIndices) {}
