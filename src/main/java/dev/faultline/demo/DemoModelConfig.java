package dev.faultline.demo;

/**
 * Size of the demo Llama model (the fields of its {@code config.json}).
 *
 * @param headDim hidden / heads
 */
public record DemoModelConfig(
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int intermediateSize,
        int maxPositions,
        double ropeTheta,
        double rmsNormEps) {

    public DemoModelConfig {
        if (hiddenSize % numHeads != 0 || numHeads % numKvHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException("need hidden % heads == 0, heads % kv_heads == 0 and an even head size");
        }
    }

    /** The bundled model: d=64, 2 layers, 4 heads / 2 KV heads, SwiGLU 176. */
    public static DemoModelConfig standard() {
        return new DemoModelConfig(DemoVocabulary.size(), 64, 2, 4, 2, 176, 64, 10000.0, 1e-5);
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }
}
