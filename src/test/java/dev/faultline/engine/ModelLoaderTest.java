package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading refuses what it cannot compute correctly, with a message that names the problem. */
class ModelLoaderTest {

    @TempDir
    Path tmp;

    @Test
    void unsupportedModelTypeIsRefused() {
        Path dir = RandomCheckpoint.llamaLike("gpt_neox", 1).write(tmp.resolve("neox"));
        assertThatThrownBy(() -> ModelLoader.load(dir, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("unsupported model_type 'gpt_neox'");
    }

    @Test
    void missingTensorIsNamed() {
        Path dir = RandomCheckpoint.llamaLike("llama", 2)
                .remove("model.layers.1.mlp.up_proj.weight")
                .write(tmp.resolve("missing"));
        assertThatThrownBy(() -> ModelLoader.load(dir, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("lacks tensor model.layers.1.mlp.up_proj.weight");
    }

    @Test
    void untiedModelWithoutHeadIsRefused() {
        Path dir =
                RandomCheckpoint.llamaLike("llama", 1).remove("lm_head.weight").write(tmp.resolve("nohead"));
        assertThatThrownBy(() -> ModelLoader.load(dir, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("lm_head.weight");
    }

    @Test
    void shapeMismatchIsNamed() {
        Path dir = RandomCheckpoint.llamaLike("llama", 1)
                .reshape("model.layers.0.self_attn.k_proj.weight", 32, 32)
                .write(tmp.resolve("shape"));
        assertThatThrownBy(() -> ModelLoader.load(dir, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.layers.0.self_attn.k_proj.weight")
                .hasMessageContaining("(32, 32)");
    }

    @Test
    void ropeScalingThatIsNotComputedIsRefused() {
        Path dynamic = RandomCheckpoint.llamaLike("llama", 1)
                .set("rope_scaling", Map.of("type", "dynamic", "factor", 4))
                .write(tmp.resolve("dynamic"));
        assertThatThrownBy(() -> ModelLoader.load(dynamic, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("RoPE type 'dynamic' is not supported");
        Path yarn = RandomCheckpoint.llamaLike("llama", 1)
                .set("rope_scaling", Map.of("rope_type", "yarn", "factor", 4))
                .write(tmp.resolve("yarn"));
        assertThatThrownBy(() -> ModelLoader.load(yarn, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'yarn' needs 'original_max_position_embeddings'");
    }

    @Test
    void missingDirectoryAndConfigAreReported() {
        assertThatThrownBy(() -> ModelLoader.load(tmp.resolve("nothing"), DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ModelLoader.load(tmp, DType.FLOAT32, "cpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no config.json");
    }

    @Test
    void gpuWithoutGpuIsAClearErrorOrFallsBack() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Engine.getEngine("PyTorch").getGpuCount() == 0, "a GPU is present");
        Path dir = RandomCheckpoint.llamaLike("llama", 1).write(tmp.resolve("gpu"));
        assertThatThrownBy(() -> ModelLoader.load(dir, DType.FLOAT32, "gpu"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no GPU");
        try (LanguageModel m = ModelLoader.load(dir, DType.FLOAT32, "gpu", true)) {
            assertThat(m.device()).isEqualTo("cpu");
        }
    }

    @Test
    void goldenModelsWithoutTokenizerSayHowToUseThem() {
        Path dir = SharedFiles.require("golden/models/tiny-gpt2");
        try (LanguageModel m = ModelLoader.load(dir, DType.FLOAT32, "cpu")) {
            assertThat(m.hasTokenizer()).isFalse();
            assertThatThrownBy(m::tokenizer)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("token ids");
            assertThat(m.config().modelType()).isEqualTo("gpt2");
            assertThat(m.config().maxPositions()).isEqualTo(256);
        }
    }
}
