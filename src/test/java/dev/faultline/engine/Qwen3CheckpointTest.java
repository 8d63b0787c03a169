package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.arch.LayerWeights;
import dev.faultline.engine.arch.ModelWeights;
import dev.faultline.engine.model.HfLanguageModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random checkpoint with Qwen3's real vocabulary and file layout at CI size: vocabulary 151,936, head_dim 32 with
 * hidden 64 and 4 query / 2 key-value heads, per-head q/k norms, tied embeddings (no {@code lm_head.weight}), a
 * transformers-5 {@code config.json}, BF16 tensors in two shards with an index, and Qwen3's real tokenizer beside it.
 * It loads, the real tokenizer's ids feed an attribution that conserves, and the BF16 shards decode to exactly the
 * values of one F32 file.
 */
class Qwen3CheckpointTest {

    private static final int VOCAB = 151_936;
    private static final int HIDDEN = 64;
    private static final int LAYERS = 2;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 32;
    private static final int FF = 128;

    @TempDir
    static Path tmp;

    private static Path sharded;
    private static Path single;
    private static LanguageModel bf16;
    private static LanguageModel f32;
    private static LanguageModel bf16Wide;
    private static AttributionEngine engine;
    private static String prompt;
    private static int[] promptIds;

    @BeforeAll
    static void write() throws IOException {
        Path tokenizer = SharedFiles.require("tokenizers/qwen3");
        JsonNode c01 = new ObjectMapper()
                .readTree(Files.readAllLines(SharedFiles.require("data/chat-templates/cases.jsonl"))
                        .get(0));
        prompt = c01.get("text").asText();
        promptIds = GoldenCasesTest.ints(c01.get("ids"));
        sharded = qwen3().storeAs(DataType.BFLOAT16).shards(2).write(tmp.resolve("bf16-sharded"));
        single = qwen3().bf16Values().set("dtype", "float32").write(tmp.resolve("f32-single"));
        for (Path dir : List.of(sharded, single)) {
            for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                Files.copy(tokenizer.resolve(f), dir.resolve(f));
            }
        }
        bf16 = ModelLoader.load(sharded, DType.FLOAT32, "cpu");
        f32 = ModelLoader.load(single, DType.FLOAT32, "cpu");
        bf16Wide = ModelLoader.load(sharded, DType.FLOAT64, "cpu");
        engine = new AttributionEngine(2);
    }

    /** Qwen3-0.6B's config.json as transformers 5 writes it, with the sizes scaled down (vocabulary kept). */
    private static RandomCheckpoint qwen3() {
        Map<String, Object> rope = new LinkedHashMap<>();
        rope.put("rope_theta", 1_000_000.0);
        rope.put("rope_type", "default");
        return RandomCheckpoint.llamaLike("qwen3", LAYERS, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FF, VOCAB, 40_960)
                .remove("lm_head.weight")
                .set("architectures", List.of("Qwen3ForCausalLM"))
                .set("tie_word_embeddings", true)
                .set("dtype", "bfloat16")
                .set("attention_bias", false)
                .set("attention_dropout", 0.0)
                .set("hidden_act", "silu")
                .set("bos_token_id", 151_643)
                .set("eos_token_id", 151_645)
                .set("layer_types", List.of("full_attention", "full_attention"))
                .set("max_window_layers", 28)
                .set("use_sliding_window", false)
                .set("sliding_window", null)
                .set("use_cache", true)
                // transformers 5 keeps θ only in rope_parameters: there is no top-level rope_theta to fall back on
                .set("rope_parameters", rope)
                .unset("rope_theta")
                .set("transformers_version", "5.18.0");
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
        for (LanguageModel m : Arrays.asList(bf16, f32, bf16Wide)) {
            if (m != null) {
                m.close();
            }
        }
    }

    @Test
    void shardsHoldBf16TensorsAndNoHead() throws IOException {
        JsonNode index = new ObjectMapper()
                .readTree(sharded.resolve("model.safetensors.index.json").toFile());
        List<String> files = new ArrayList<>();
        index.get("weight_map").fields().forEachRemaining(e -> {
            if (!files.contains(e.getValue().asText())) {
                files.add(e.getValue().asText());
            }
        });
        assertThat(files)
                .containsExactlyInAnyOrder("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        assertThat(index.get("weight_map").has("model.embed_tokens.weight")).isTrue();
        assertThat(index.get("weight_map").has("lm_head.weight")).isFalse();
        assertThat(Files.exists(sharded.resolve("model.safetensors"))).isFalse();
        for (String f : files) {
            JsonNode header = safetensorsHeader(sharded.resolve(f));
            header.fields()
                    .forEachRemaining(e -> assertThat(e.getValue().get("dtype").asText())
                            .as(e.getKey())
                            .isEqualTo("BF16"));
        }
        JsonNode embed = safetensorsHeader(sharded.resolve(
                        index.get("weight_map").get("model.embed_tokens.weight").asText()))
                .get("model.embed_tokens.weight");
        assertThat(embed.get("shape").toString()).isEqualTo("[" + VOCAB + "," + HIDDEN + "]");
    }

    @Test
    void loadsWithTheRealVocabularyAndShapes() {
        ModelConfig c = bf16.config();
        assertThat(c.modelType()).isEqualTo("qwen3");
        assertThat(c.vocabSize()).isEqualTo(VOCAB);
        assertThat(c.numLayers()).isEqualTo(LAYERS);
        assertThat(c.numHeads()).isEqualTo(HEADS);
        assertThat(c.numKvHeads()).isEqualTo(KV_HEADS);
        assertThat(c.headDim()).isEqualTo(HEAD_DIM).isNotEqualTo(HIDDEN / HEADS);
        assertThat(c.tiedEmbeddings()).isTrue();
        assertThat(((HfLanguageModel) bf16).hfConfig().ropeTheta()).isEqualTo(1_000_000.0);
        ModelWeights w = ((HfLanguageModel) bf16).transformer().weights();
        assertThat(w.embed().getShape()).isEqualTo(new Shape(VOCAB, HIDDEN));
        LayerWeights l0 = w.layers().get(0);
        assertThat(l0.q().getShape()).isEqualTo(new Shape(HEADS * HEAD_DIM, HIDDEN));
        assertThat(l0.k().getShape()).isEqualTo(new Shape(KV_HEADS * HEAD_DIM, HIDDEN));
        assertThat(l0.qNorm().getShape()).isEqualTo(new Shape(HEAD_DIM));
        assertThat(l0.kNorm().getShape()).isEqualTo(new Shape(HEAD_DIM));
    }

    @Test
    void tiedHeadIsTheEmbeddingHeldOnce() {
        ModelWeights w = ((HfLanguageModel) bf16).transformer().weights();
        assertThat(w.head()).isSameAs(w.embed());
        long perLayer = 2L * HIDDEN // input and post-attention norms
                + (long) HEADS * HEAD_DIM * HIDDEN * 2 // q, o
                + (long) KV_HEADS * HEAD_DIM * HIDDEN * 2 // k, v
                + 2L * HEAD_DIM // q and k norms
                + 3L * FF * HIDDEN; // gate, up, down
        long params = (long) VOCAB * HIDDEN + LAYERS * perLayer + HIDDEN;
        assertThat(bf16.weightBytes()).isEqualTo(params * Float.BYTES);
    }

    @Test
    void realTokenizerBesideTheCheckpointGivesTransformersIds() {
        TextTokenizer tok = bf16.tokenizer();
        TokenizedText t = tok.encode(prompt, true);
        assertThat(t.ids()).containsExactly(promptIds);
        assertThat(tok.tokenId("<|im_end|>")).isEqualTo(151_645);
        assertThat(tok.tokenId("</think>"))
                .as("the last tokenizer id, below the padded vocabulary")
                .isLessThan(VOCAB);
    }

    @Test
    void attributionOfARealPromptIsFiniteAndConserves() {
        int[] ids = bf16Wide.tokenizer().encode(prompt, true).ids();
        Attribution a = engine.attribute(bf16Wide, request(ids));
        assertThat(a.inputRelevance()).hasSize(ids.length);
        for (double r : a.inputRelevance()) {
            assertThat(r).isFinite();
        }
        assertThat(a.logitDiff()).isFinite();
        assertThat(a.softmaxAbsorbedTotal()).isNotZero();
        double scale = Math.max(1.0, Math.abs(a.logitDiff()));
        assertThat(a.inputRelevanceSum() + a.biasTotal() + a.softmaxAbsorbedTotal())
                .as("Δℓ = Σ input + bias + softmax")
                .isCloseTo(a.logitDiff(), within(1e-9 * scale));
        assertThat(a.identityResidual()).isCloseTo(0.0, within(1e-9 * scale));
        // in float32 the identity holds to float32 rounding
        Attribution b = engine.attribute(bf16, request(ids));
        assertThat(b.identityResidual()).isCloseTo(0.0, within(1e-4 * scale));
        assertThat(b.logitDiff()).isCloseTo(a.logitDiff(), within(1e-4 * scale));
    }

    @Test
    void bf16ShardsEqualOneF32FileOfTheRoundedValues() {
        ModelWeights x = ((HfLanguageModel) bf16).transformer().weights();
        ModelWeights y = ((HfLanguageModel) f32).transformer().weights();
        assertSameValues("embedding", x.embed(), y.embed());
        assertSameValues("final norm", x.finalNormW(), y.finalNormW());
        for (int i = 0; i < LAYERS; i++) {
            List<NDArray> a = arrays(x.layers().get(i));
            List<NDArray> b = arrays(y.layers().get(i));
            assertThat(a).hasSameSizeAs(b).hasSize(11);
            for (int k = 0; k < a.size(); k++) {
                assertSameValues("layer " + i + " tensor " + k, a.get(k), b.get(k));
            }
        }
        int[] ids = bf16.tokenizer().encode(prompt, true).ids();
        Attribution p = engine.attribute(bf16, request(ids));
        Attribution q = engine.attribute(f32, request(ids));
        assertThat(p.logitDiff()).isEqualTo(q.logitDiff());
        assertThat(p.inputRelevance()).containsExactly(q.inputRelevance());
        assertThat(p.softmaxAbsorbedPerLayer()).containsExactly(q.softmaxAbsorbedPerLayer());
        assertThat(Arrays.mismatch(engine.logitsAt(bf16, ids, -1), engine.logitsAt(f32, ids, -1)))
                .as("logits")
                .isEqualTo(-1);
    }

    /** Logit of " Berlin" against " Paris" after the prompt, with AttnLRP and no perturbation check. */
    private static AttributionRequest request(int[] ids) {
        TextTokenizer tok = bf16.tokenizer();
        int wrong = tok.tokenId("ĠBerlin");
        int correct = tok.tokenId("ĠParis");
        assertThat(wrong).isNotNegative();
        assertThat(correct).isNotNegative();
        return new AttributionRequest(ids, -1, wrong, correct, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0L, 0.0, 5);
    }

    /** Bit-for-bit equal (AssertJ's containsExactly is quadratic on a vocabulary-sized array). */
    private static void assertSameValues(String what, NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        assertThat(x.length).as(what).isEqualTo(y.length);
        assertThat(Arrays.mismatch(x, y)).as("first differing index of " + what).isEqualTo(-1);
    }

    private static List<NDArray> arrays(LayerWeights l) {
        return Stream.of(
                        l.attnNormW(),
                        l.q(),
                        l.k(),
                        l.v(),
                        l.o(),
                        l.qNorm(),
                        l.kNorm(),
                        l.mlpNormW(),
                        l.gate(),
                        l.up(),
                        l.down())
                .toList();
    }

    private static JsonNode safetensorsHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            ByteBuffer header = ByteBuffer.allocate(Math.toIntExact(len.getLong(0)));
            ch.read(header, 8);
            return new ObjectMapper().readTree(new String(header.array(), StandardCharsets.UTF_8));
        }
    }
}
