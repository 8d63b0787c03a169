package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The model-memory budget: sizes from the safetensors headers, and a refusal before any tensor is read. */
class ModelBudgetTest {

    @Test
    void weightBytesComeFromTheHeadersAtTheComputeDtype() {
        Path dir = SharedFiles.require("models/tinystories-260k");
        long f32 = ModelLoader.weightBytes(dir, DType.FLOAT32);
        assertThat(ModelLoader.weightBytes(dir, DType.FLOAT64)).isEqualTo(2 * f32);
        try (LanguageModel m = ModelLoader.load(dir, DType.FLOAT32, "cpu", f32)) { // exactly the budget: fits
            assertThat(m.weightBytes()).isLessThanOrEqualTo(f32);
        }
    }

    @Test
    void aCheckpointLargerThanTheBudgetIsRefusedWithBothSizes() {
        Path dir = SharedFiles.require("models/tinystories-260k");
        long f32 = ModelLoader.weightBytes(dir, DType.FLOAT32);
        assertThatThrownBy(() -> ModelLoader.load(dir, DType.FLOAT32, "cpu", f32 - 1))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model-memory budget")
                .hasMessageContaining(String.format(java.util.Locale.ROOT, "%.2f GB", f32 / 1e9))
                .hasMessageContaining("faultline.models.max-bytes");
    }
}
