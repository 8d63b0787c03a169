package dev.faultline.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.arch.Pass;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.model.HfLanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The faithfulness copies start at their first zeroed token; the positions before it enter as keys and values made
 * from the attribution pass's layer inputs. Their drops must equal those of a forward of the whole perturbed copy
 * ({@link Attributor#targetWithZeroed}) to 1e-9 in float64, on every reference model (each family, GQA, sliding
 * windows, YaRN, biases, post-norms), on TinyStories-260K, under each method and softmax rule, in a batch of two
 * inputs of different lengths, and with attention in chunks. A prefix one position too long (the first zeroed token
 * read from the unperturbed pass) must fail the same comparison.
 */
class FaithfulnessPrefixTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttributionEngine ENGINE = new AttributionEngine(2);
    private static final List<String> GOLDEN = List.of(
            "tiny-gpt2",
            "tiny-llama-gqa",
            "tiny-llama3-rope",
            "tiny-mistral-swa",
            "tiny-olmo2",
            "tiny-olmo3-swa",
            "tiny-olmo3-yarn",
            "tiny-qwen2-bias",
            "tiny-qwen3",
            "tiny-qwen3-tf5");

    @AfterAll
    static void close() {
        ENGINE.close();
    }

    private static int[] goldenIds(String model) throws IOException {
        JsonNode c = JSON.readTree(SharedFiles.require("golden/cases")
                .resolve(model + "-len40-attnlrp-attnlrp-float64.json")
                .toFile());
        int[] ids = new int[c.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = c.get("ids").get(i).asInt();
        }
        return ids;
    }

    @TestFactory
    Stream<DynamicTest> dropsEqualWholeCopyForwardsOnTheReferenceModels() {
        Path models = SharedFiles.require("golden/models");
        return GOLDEN.stream()
                .map(name -> DynamicTest.dynamicTest(name, () -> {
                    int[] ids = goldenIds(name);
                    try (LanguageModel m = ModelLoader.load(models.resolve(name), DType.FLOAT64, "cpu")) {
                        checkEveryRule(m, ids, 64, name);
                    }
                    // attention in chunks of 16 query rows: the copies' rows attend to the prefix across chunk
                    // boundaries
                    try (LanguageModel m = ModelLoader.load(
                            models.resolve(name), DType.FLOAT64, Device.CPU, Long.MAX_VALUE, new EngineOptions(1))) {
                        check(
                                m,
                                List.of(request(ids, -1, 3, 9, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, 1L)),
                                name + " chunked");
                    }
                }));
    }

    @Test
    void dropsEqualWholeCopyForwardsOnTinyStories() {
        try (LanguageModel m = ModelLoader.load(SharedFiles.require("models/tinystories-260k"), DType.FLOAT64, "cpu")) {
            int[] ids = m.tokenizer()
                    .encode(
                            "Once upon a time, a little girl named Lily found a red ball in the "
                                    + "park. She wanted to share it with her friend Tom, so she ran to his house and",
                            true)
                    .ids();
            checkEveryRule(m, ids, 512, "tinystories-260k");
        }
    }

    private static void checkEveryRule(LanguageModel m, int[] ids, int vocab, String what) {
        Random rnd = new Random(ids.length);
        int wrong = rnd.nextInt(vocab);
        int correct = (wrong + 1 + rnd.nextInt(vocab - 1)) % vocab;
        for (Object[] rule : new Object[][] {
            {Method.ATTNLRP, SoftmaxRule.ATTNLRP},
            {Method.ATTNLRP, SoftmaxRule.DETACH},
            {Method.GRADXINPUT, SoftmaxRule.ATTNLRP}
        }) {
            Method method = (Method) rule[0];
            SoftmaxRule softmax = (SoftmaxRule) rule[1];
            String w = what + " " + method + "/" + softmax;
            check(m, List.of(request(ids, -1, wrong, correct, method, softmax, 5, 3L)), w);
            check(
                    m,
                    List.of(request(ids, ids.length / 2, wrong, null, method, softmax, 3, 4L)),
                    w + " inner, no contrast");
            // a batch: the second example's keys and values are its own, and its input is shorter
            check(
                    m,
                    List.of(
                            request(ids, -1, wrong, correct, method, softmax, 4, 5L),
                            request(Arrays.copyOf(ids, ids.length - 7), -1, correct, wrong, method, softmax, 2, 6L)),
                    w + " batch");
        }
    }

    private static AttributionRequest request(
            int[] ids, int pos, int wrong, Integer correct, Method method, SoftmaxRule softmax, int k, long seed) {
        return new AttributionRequest(ids, pos, wrong, correct, method, softmax, k, seed, 0.0, 3);
    }

    private static void check(LanguageModel m, List<AttributionRequest> rs, String what) {
        HfLanguageModel hf = (HfLanguageModel) m;
        List<Attribution> as = ENGINE.attributeBatch(m, rs);
        for (int e = 0; e < rs.size(); e++) {
            AttributionRequest r = rs.get(e);
            Attribution a = as.get(e);
            Faithfulness f = a.faithfulness();
            assertThat(f).as(what).isNotNull();
            int pos = r.resolvedPosition();
            double top = Attributor.targetWithZeroed(hf, r.ids(), pos, r.wrong(), r.correct(), f.topIndices());
            double random = Attributor.targetWithZeroed(hf, r.ids(), pos, r.wrong(), r.correct(), f.randomIndices());
            assertThat(f.dropTop()).as(what + " drop (top), example " + e).isCloseTo(a.logitDiff() - top, within(1e-9));
            assertThat(f.dropRandom())
                    .as(what + " drop (random), example " + e)
                    .isCloseTo(a.logitDiff() - random, within(1e-9));
            assertThat(f.informative()).isEqualTo(f.dropTop() - f.dropRandom() > r.margin());
        }
    }

    /**
     * Against the keys and values of a rules pass's layer inputs: starting the copy at its first zeroed token or one earlier gives
     * the whole copy's target; one later (the zeroed token's keys and values taken from the unperturbed pass) does
     * not, on a rotary family and on GPT-2's learned positions.
     */
    @TestFactory
    Stream<DynamicTest> aPrefixOnePositionTooLongFails() {
        Path models = SharedFiles.require("golden/models");
        return Stream.of("tiny-qwen3", "tiny-gpt2", "tiny-mistral-swa")
                .map(name -> DynamicTest.dynamicTest(name, () -> {
                    int[] ids = goldenIds(name);
                    int pos = ids.length - 1;
                    int[] zeroed = {35, 37, 38}; // within the sliding window's reach of the target
                    AttributionRequest r = request(ids, pos, 5, 8, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 3, 0L);
                    try (HfLanguageModel m =
                                    (HfLanguageModel) ModelLoader.load(models.resolve(name), DType.FLOAT64, "cpu");
                            NDScope scope = new NDScope();
                            NDManager pm = m.manager().newSubManager()) {
                        Transformer tr = m.transformer();
                        Pass p = new Pass(pm, true, false, true);
                        NDArray emb = tr.embed(pm, ids).expandDims(0);
                        tr.logits(p, emb, pos);
                        List<NDArray[]> kv = Attributor.prefixKeysValues(tr, pm, p.layerInputs, 0, 36);
                        assertThat(kv).hasSize(m.config().numLayers());
                        double whole = Attributor.targetWithZeroed(m, ids, pos, 5, 8, zeroed);
                        assertThat(Attributor.targetAfterPrefix(tr, pm, kv, r, pos, zeroed, 35))
                                .isCloseTo(whole, within(1e-9));
                        assertThat(Attributor.targetAfterPrefix(tr, pm, kv, r, pos, zeroed, 34))
                                .isCloseTo(whole, within(1e-9));
                        double offByOne = Attributor.targetAfterPrefix(tr, pm, kv, r, pos, new int[] {37, 38}, 36);
                        assertThat(Math.abs(offByOne - whole))
                                .as("a prefix that includes the first zeroed token")
                                .isGreaterThan(1e-6);
                        assertThatThrownBy(() -> Attributor.targetAfterPrefix(tr, pm, kv, r, pos, zeroed, 36))
                                .isInstanceOf(IllegalArgumentException.class);
                    }
                }));
    }
}
