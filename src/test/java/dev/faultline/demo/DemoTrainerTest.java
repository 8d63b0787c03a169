package dev.faultline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTrainerTest {

    private static final DemoModelConfig TINY =
            new DemoModelConfig(DemoVocabulary.size(), 16, 1, 2, 1, 32, 32, 10000.0, 1e-5);

    @Test
    void shortTrainingLowersTheLossAndWritesALoadableCheckpoint(@TempDir Path dir) throws Exception {
        DemoTrainer.Options options = new DemoTrainer.Options(3, 120, 16, 1e-2, 10, 0.1, 0.9, 0.98, 1.0, 2, 3, 40, 20);
        try (NDManager manager = NDManager.newBaseManager();
                DemoLlama model = new DemoLlama(TINY, manager, 3)) {
            DemoTrainer.Report report = new DemoTrainer(options, s -> {}).train(model);
            List<Double> curve = report.lossCurve();
            assertThat(curve).hasSize(6);
            assertThat(curve.get(curve.size() - 1)).isLessThan(curve.get(0) * 0.8);
            assertThat(report.evaluation().total()).isEqualTo(40);
            assertThat(report.evaluation().buckets())
                    .extracting(DemoTrainer.Bucket::digits)
                    .containsExactly(2, 3);

            model.save(dir);
            JsonNode config =
                    new ObjectMapper().readTree(dir.resolve("config.json").toFile());
            assertThat(config.path("model_type").asText()).isEqualTo("llama");
            assertThat(config.path("tie_word_embeddings").asBoolean()).isTrue();
            assertThat(config.path("hidden_size").asInt()).isEqualTo(16);
            assertThat(config.path("num_key_value_heads").asInt()).isEqualTo(1);
            assertThat(config.path("vocab_size").asInt()).isEqualTo(DemoVocabulary.size());

            NDList tensors = NDList.decode(manager, Files.readAllBytes(dir.resolve("model.safetensors")));
            Map<String, Shape> shapes = new HashMap<>();
            tensors.forEach(t -> shapes.put(t.getName(), t.getShape()));
            assertThat(shapes)
                    .containsEntry("model.embed_tokens.weight", new Shape(DemoVocabulary.size(), 16))
                    .containsEntry("model.layers.0.self_attn.q_proj.weight", new Shape(16, 16))
                    .containsEntry("model.layers.0.self_attn.k_proj.weight", new Shape(8, 16))
                    .containsEntry("model.layers.0.mlp.gate_proj.weight", new Shape(32, 16))
                    .containsEntry("model.layers.0.mlp.down_proj.weight", new Shape(16, 32))
                    .containsEntry("model.layers.0.post_attention_layernorm.weight", new Shape(16))
                    .containsEntry("model.norm.weight", new Shape(16))
                    .doesNotContainKey("lm_head.weight")
                    .hasSize(11);

            // the written checkpoint reproduces the trained model's logits
            try (DemoLlama loaded = DemoLlama.load(dir, manager)) {
                NDArray ids = manager.create(new long[] {1, 5, 6, 14, 7, 8, 15}, new Shape(1, 7));
                float[] a = model.forward(ids).toFloatArray();
                float[] b = loaded.forward(ids).toFloatArray();
                assertThat(b).containsExactly(a, org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void tokenizerJsonRoundTripsSuiteStringsWithCharacterOffsets(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                DemoLlama model = new DemoLlama(TINY, manager, 1)) {
            model.save(dir);
        }
        List<String> texts = new ArrayList<>();
        new AdditionSuite(2, 6)
                .sample(5, 20, AdditionSuite.Split.HELD_OUT)
                .forEach(p -> texts.add(p.prompt() + p.answer()));
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder()
                .optTokenizerPath(dir)
                .optTruncation(false)
                .build()) {
            for (String text : texts) {
                Encoding enc = tok.encode(text);
                long[] ids = enc.getIds();
                assertThat(ids[0]).isEqualTo(DemoVocabulary.BOS_ID);
                assertThat(enc.getSpecialTokenMask()[0]).isEqualTo(1);
                long[] expected = Arrays.stream(DemoVocabulary.encode(text))
                        .asLongStream()
                        .toArray();
                assertThat(Arrays.copyOfRange(ids, 1, ids.length)).containsExactly(expected);
                var spans = enc.getCharTokenSpans();
                for (int i = 0; i < text.length(); i++) {
                    assertThat(spans[i + 1].getStart()).isEqualTo(i);
                    assertThat(spans[i + 1].getEnd()).isEqualTo(i + 1);
                }
                assertThat(tok.decode(ids, true)).isEqualTo(text);
            }
            assertThat(tok.encode("12+3=", false, false).getIds()).hasSize(5);
            assertThat(tok.decode(new long[] {DemoVocabulary.BOS_ID, 5, DemoVocabulary.EOS_ID}, true))
                    .isEqualTo("1");
        }
    }
}
