package dev.faultline.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.faultline.engine.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RoPE frequencies and attention factors against the float64 tables of the reference implementation
 * (golden/README.md, from transformers 5.18's {@code modeling_rope_utils.py}), both config layouts, and refusals.
 */
class RopeTest {

    private static final Path GOLDEN =
            Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"), "golden/models");

    @Test
    void llama3FrequenciesCoverAllThreeBands() {
        HfConfig c = HfConfig.read(GOLDEN.resolve("tiny-llama3-rope"));
        double[] expected = {
            1.0,
            0.09583998588296268,
            0.0125,
            0.003952847075210474,
            0.00125,
            0.00039528470752104737,
            0.000125,
            3.952847075210474e-05
        };
        for (Rope r : c.ropePerLayer()) {
            assertThat(r.type()).isEqualTo("llama3");
            assertClose(r.invFreq(), expected);
            assertThat(r.attentionFactor()).isEqualTo(1.0);
        }
    }

    @Test
    void yarnScalesOnlyOlmo3FullAttentionLayers() {
        HfConfig c = HfConfig.read(GOLDEN.resolve("tiny-olmo3-yarn"));
        double[] full = {
            1.0,
            0.2477062140028765,
            0.02424034309358572,
            0.010674637535720701,
            0.004700753866357992,
            0.002070055010124306,
            0.0009115830921521386,
            0.0004014307493440739,
            0.00017677669529663688,
            7.78465527393245e-05,
            3.428102195952591e-05,
            1.509621717643313e-05,
            6.647869871181236e-06,
            2.9274998701761677e-06,
            1.2891731721515574e-06,
            5.677088100759837e-07
        };
        Rope sliding0 = c.ropePerLayer()[0];
        Rope sliding1 = c.ropePerLayer()[1];
        Rope fullLayer = c.ropePerLayer()[2];
        assertThat(fullLayer.type()).isEqualTo("yarn");
        assertClose(fullLayer.invFreq(), full);
        assertThat(fullLayer.attentionFactor()).isCloseTo(1.2079441541679836, within(1e-15));
        for (Rope s : new Rope[] {sliding0, sliding1}) {
            assertThat(s.type()).isEqualTo("default");
            assertThat(s.attentionFactor()).isEqualTo(1.0);
            assertThat(s.invFreq()[1]).isCloseTo(0.44036660267178046, within(1e-15));
            assertThat(s.invFreq()[2]).isCloseTo(0.19392274474868576, within(1e-15));
        }
    }

    @Test
    void transformers5LayoutReadsThetaFromRopeParameters() {
        HfConfig legacy = HfConfig.read(GOLDEN.resolve("tiny-qwen3"));
        HfConfig tf5 = HfConfig.read(GOLDEN.resolve("tiny-qwen3-tf5"));
        assertThat(tf5.ropeTheta()).isEqualTo(1e6);
        assertThat(tf5.ropePerLayer()).containsExactly(legacy.ropePerLayer());
    }

    @Test
    void legacyTypeSpellingAndLinearScaling(@TempDir Path dir) throws IOException {
        HfConfig c = read(
                dir,
                base("llama") + ", \"rope_theta\": 10000.0, \"rope_scaling\": {\"type\": \"linear\", "
                        + "\"factor\": 4.0}}");
        double[] plain = Rope.defaultFrequencies(10000.0, 8);
        for (int i = 0; i < plain.length; i++) {
            assertThat(c.ropePerLayer()[0].invFreq()[i]).isEqualTo(plain[i] / 4.0);
        }
    }

    @Test
    void perLayerTypeRopeParameters(@TempDir Path dir) throws IOException {
        HfConfig c = read(
                dir,
                base("olmo3") + ", \"sliding_window\": 4, \"layer_types\": [\"sliding_attention\", "
                        + "\"full_attention\"], \"rope_parameters\": {\"sliding_attention\": {\"rope_type\": \"default\", "
                        + "\"rope_theta\": 10000.0}, \"full_attention\": {\"rope_type\": \"linear\", \"factor\": 2.0, "
                        + "\"rope_theta\": 500000.0}}}");
        assertThat(c.ropePerLayer()[0]).isEqualTo(Rope.plain(10000.0, 8));
        assertThat(c.ropePerLayer()[1].type()).isEqualTo("linear");
        assertThat(c.ropePerLayer()[1].invFreq()[1]).isEqualTo(Rope.defaultFrequencies(500000.0, 8)[1] / 2);
    }

    @Test
    void refusesWhatItDoesNotCompute(@TempDir Path dir) {
        assertThatThrownBy(() -> read(
                        dir, base("llama") + ", \"rope_scaling\": {\"rope_type\": \"dynamic\", " + "\"factor\": 2.0}}"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'dynamic'")
                .hasMessageContaining("llama3, yarn");
        assertThatThrownBy(() -> read(
                        dir,
                        base("llama") + ", \"rope_scaling\": {\"rope_type\": \"yarn\", "
                                + "\"factor\": 2.0, \"original_max_position_embeddings\": 16, \"short_factor\": [1]}}"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'short_factor'");
        assertThatThrownBy(() -> read(
                        dir, base("llama") + ", \"rope_scaling\": {\"rope_type\": \"llama3\", " + "\"factor\": 8.0}}"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("low_freq_factor");
        assertThatThrownBy(() -> read(
                        dir,
                        base("qwen3") + ", \"rope_theta\": 10000.0, \"rope_parameters\": "
                                + "{\"rope_theta\": 1000000.0, \"rope_type\": \"default\"}}"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("disagree");
    }

    private static String base(String type) {
        return "{\"model_type\": \"" + type + "\", \"vocab_size\": 16, \"hidden_size\": 16, \"intermediate_size\": 32, "
                + "\"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"num_key_value_heads\": 1, \"head_dim\": 8";
    }

    private static HfConfig read(Path dir, String json) throws IOException {
        JsonObject parsed = JsonParser.parseString(json).getAsJsonObject(); // fails early on a typo in the test
        Files.writeString(dir.resolve("config.json"), parsed.toString());
        return HfConfig.read(dir);
    }

    private static void assertClose(double[] actual, double[] expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("inv_freq[" + i + "]").isCloseTo(expected[i], within(1e-15 * expected[i] + 1e-18));
        }
    }
}
