package dev.faultline.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.arch.Pass;
import dev.faultline.engine.model.HfLanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The attribution graph on random float64 Llama (GQA, no biases) and GPT-2 (biases everywhere) models: the row
 * identity of each sub-layer, batch-packed rows against row-by-row and against the plain definition, node relevance
 * against the engine's global backward, and pruning (edge mass per sub-layer, ancestors of the target only).
 */
class AttributionGraphTest {

    private static final int T = 14;
    private static final int VOCAB = 40;

    @TempDir
    static Path dir;

    private static LanguageModel llama;
    private static LanguageModel gpt2;
    private static int[] ids;

    @BeforeAll
    static void models() throws IOException {
        llama = ModelLoader.load(
                RandomModels.of("llama").seed(7).vocab(VOCAB).write(dir.resolve("llama")), DType.FLOAT64, "cpu");
        gpt2 = ModelLoader.load(
                RandomModels.of("gpt2").seed(8).vocab(VOCAB).write(dir.resolve("gpt2")), DType.FLOAT64, "cpu");
        Random r = new Random(3);
        ids = new int[T];
        for (int i = 0; i < T; i++) {
            ids[i] = r.nextInt(VOCAB);
        }
    }

    @AfterAll
    static void close() {
        llama.close();
        gpt2.close();
    }

    private static LanguageModel model(String name) {
        return name.equals("llama") ? llama : gpt2;
    }

    private static GraphRequest request(Method method, SoftmaxRule softmax, double nodeThreshold, int batch) {
        return new GraphRequest(ids, -1, 5, 9, method, softmax, nodeThreshold, 0.85, batch, 1 << 20);
    }

    private static GraphBuilder globalOnly(LanguageModel m, GraphRequest r) {
        GraphBuilder b = new GraphBuilder(dev.faultline.engine.model.HfLanguageModel.of(m), r);
        while (b.progress().phase().equals("global")) {
            b.step();
        }
        return b;
    }

    private static int[] allRows() {
        int[] rs = new int[T];
        for (int i = 0; i < T; i++) {
            rs[i] = i;
        }
        return rs;
    }

    /** Edges of sub-layer k into every node j: [T][T] (attention via batch-packed rows, MLP by the definition). */
    private static double[][] dense(GraphBuilder b, int k, int batch) {
        double[][] out = new double[T][];
        if (k % 2 == 1) {
            return FullRows.of(b, k, allRows());
        }
        for (int from = 0; from < T; from += batch) {
            int[] rs = Arrays.copyOfRange(allRows(), from, Math.min(T, from + batch));
            double[] w = b.attentionRows(k / 2, rs);
            int width = rs[rs.length - 1] + 1;
            for (int c = 0; c < rs.length; c++) {
                out[rs[c]] = new double[T];
                System.arraycopy(w, c * width, out[rs[c]], 0, width);
            }
        }
        return out;
    }

    /**
     * Relevance row j of sub-layer k loses to its biases and its softmax (AttnLRP rule): recomputed with probes, as
     * the engine books them (Σ q⊙∂q / ½ enters the softmax, ½ Σ (A·V)⊙∂(A·V) leaves it).
     */
    private static double absorbed(GraphBuilder b, LanguageModel model, GraphRequest r, int k, int j) {
        HfLanguageModel m = (HfLanguageModel) model;
        try (NDManager pm = m.manager().newSubManager()) {
            Pass p = new Pass(pm, r.method() == Method.ATTNLRP, r.softmax() == SoftmaxRule.DETACH, true);
            NDArray x = b.state(k).duplicate();
            x.attach(pm);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = k % 2 == 0
                        ? m.transformer().attentionBlock(p, k / 2, x)
                        : m.transformer().mlpBlock(p, k / 2, x);
                NDArray gj = b.gradient(k + 1).get(":, {}, :", j);
                gc.backward(y.get(":, {}, :", j).mul(gj).sum());
            }
            double bias = 0;
            for (Pass.BiasLeaf leaf : p.biases) {
                bias += dot(leaf.leaf(), leaf.leaf().getGradient());
            }
            double soft = 0;
            if (r.softmax() != SoftmaxRule.DETACH) {
                for (Pass.Probe q : p.queries) {
                    soft -= dot(q.value(), q.leaf().getGradient()) / 0.5;
                }
                for (Pass.Probe o : p.attentionOutputs) {
                    soft += dot(o.value(), o.leaf().getGradient()) * 0.5;
                }
            }
            return bias + soft;
        }
    }

    private static double dot(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false)
                .mul(b.toType(DataType.FLOAT64, false))
                .sum()
                .getDouble();
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"llama, DETACH", "llama, ATTNLRP", "gpt2, DETACH", "gpt2, ATTNLRP"})
    void rowsSumToNodeRelevanceUpToBiasAndSoftmaxAbsorption(String name, SoftmaxRule softmax) {
        LanguageModel m = model(name);
        GraphRequest r = request(Method.ATTNLRP, softmax, 0, 4);
        try (GraphBuilder b = globalOnly(m, r)) {
            double scale = Math.abs(b.logitDiff());
            int subLayers = 2 * m.config().numLayers();
            int softmaxRowsOff = 0;
            for (int k = 0; k < subLayers; k++) {
                double[][] w = dense(b, k, 4);
                double[] target = b.relevance(k + 1);
                scale = Math.max(scale, maxAbs(target));
                for (int j = 0; j < T; j++) {
                    double sum = Arrays.stream(w[j]).sum();
                    double lost = absorbed(b, m, r, k, j);
                    if (name.equals("llama") && (softmax == SoftmaxRule.DETACH || k % 2 == 1)) {
                        // bias-free, conservative rules: the identity holds exactly
                        assertThat(lost)
                                .as("llama absorbs nothing in sub-layer %d", k)
                                .isCloseTo(0, offset(1e-12));
                        assertThat(sum)
                                .as("Σ_i W[%d,i] of sub-layer %d", j, k)
                                .isCloseTo(target[j], offset(1e-9 * scale));
                    }
                    if (Math.abs(sum - target[j]) > 1e-6 * scale) {
                        softmaxRowsOff++;
                    }
                    assertThat(sum + lost)
                            .as("Σ_i W[%d,i] + absorbed, sub-layer %d", j, k)
                            .isCloseTo(target[j], offset(1e-9 * scale));
                    for (int i = j + 1; i < T; i++) {
                        assertThat(w[j][i]).as("causal").isZero();
                    }
                    if (k % 2 == 1) {
                        for (int i = 0; i < j; i++) {
                            assertThat(w[j][i]).as("MLP rows are diagonal").isZero();
                        }
                    }
                }
            }
            if (softmax == SoftmaxRule.ATTNLRP || name.equals("gpt2")) {
                assertThat(softmaxRowsOff)
                        .as("absorption is not zero in this model, so the check has teeth")
                        .isPositive();
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "llama, ATTNLRP, ATTNLRP",
        "llama, ATTNLRP, DETACH",
        "gpt2, ATTNLRP, ATTNLRP",
        "llama, GRADXINPUT, ATTNLRP"
    })
    void chunkedFullSequencePassesEqualTheOneBlockPasses(String name, Method method, SoftmaxRule softmax) {
        LanguageModel m = model(name);
        GraphRequest r = request(method, softmax, 0, 5);
        try (GraphBuilder whole = globalOnly(m, r);
                GraphBuilder chunked = new GraphBuilder(dev.faultline.engine.model.HfLanguageModel.of(m), r, 3)) {
            while (chunked.progress().phase().equals("global")) {
                chunked.step();
            }
            assertThat(whole.queryChunk())
                    .as("a short input takes the one-block path")
                    .isEqualTo(T);
            assertThat(chunked.queryChunk()).isEqualTo(3);
            assertThat(chunked.logitDiff()).isCloseTo(whole.logitDiff(), offset(1e-10 * Math.abs(whole.logitDiff())));
            for (int k = 0; k <= 2 * m.config().numLayers(); k++) {
                double[] a = whole.relevance(k);
                double[] b = chunked.relevance(k);
                // rounding is relative to the larger of the layer's relevances and Δℓ (a layer may carry ~1e-7 of it)
                double scale = Math.max(maxAbs(a), Math.abs(whole.logitDiff()));
                for (int j = 0; j < T; j++) {
                    assertThat(b[j]).as("node layer %d, position %d", k, j).isCloseTo(a[j], offset(1e-10 * scale));
                }
                double[] ha = whole.state(k)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                        .toDoubleArray();
                double[] hb = chunked.state(k)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                        .toDoubleArray();
                double hs = maxAbs(ha);
                for (int i = 0; i < ha.length; i++) {
                    assertThat(hb[i]).as("residual stream %d [%d]", k, i).isCloseTo(ha[i], offset(1e-10 * hs));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ATTNLRP", "DETACH"})
    void sharedKeysRowsEqualRepeatedInputRowsUnderBothSoftmaxRules(SoftmaxRule softmax) {
        LanguageModel m = model("llama");
        try (GraphBuilder b = globalOnly(m, request(Method.ATTNLRP, softmax, 0, 5))) {
            for (int l = 0; l < m.config().numLayers(); l++) {
                int[] rs = {0, 3, 4, 9, 13};
                double[] shared = b.attentionRowsClosedForm(l, rs);
                double[] repeated = b.attentionRowsRepeated(l, rs);
                assertThat(shared).hasSameSizeAs(repeated);
                double scale = maxAbs(repeated);
                assertThat(scale).isPositive();
                for (int i = 0; i < shared.length; i++) {
                    assertThat(shared[i])
                            .as("layer %d, %s: shared vs repeated [%d]", l, softmax, i)
                            .isCloseTo(repeated[i], offset(1e-10 * scale));
                }
            }
        }
    }

    /**
     * The closed-form rows on each Llama-family variant: sliding windows (mistral; olmo3, whose fourth layer is full),
     * per-head q/k norms (qwen3), q/k norms over the whole projections and norms after the blocks (olmo2, olmo3),
     * under both softmax rules: equal to the rows of one backward pass over the repeated input and to the plain
     * definition (the full block, one copy per row), and zero outside a row's window.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({
        "mistral, ATTNLRP",
        "mistral, DETACH",
        "qwen3, ATTNLRP",
        "qwen3, DETACH",
        "olmo2, ATTNLRP",
        "olmo2, DETACH",
        "olmo3, ATTNLRP",
        "olmo3, DETACH"
    })
    void closedFormRowsEqualTheBackwardPassOnEachLlamaFamilyVariant(String type, SoftmaxRule softmax)
            throws IOException {
        int window = type.equals("mistral") || type.equals("olmo3") ? 4 : 0;
        Path model = RandomModels.of(type)
                .seed(17)
                .vocab(VOCAB)
                .layers(4)
                .window(window)
                .write(dir.resolve(type));
        int[] rs = {0, 3, 4, 9, 13};
        try (LanguageModel m = ModelLoader.load(model, DType.FLOAT64, "cpu");
                GraphBuilder b = globalOnly(m, request(Method.ATTNLRP, softmax, 0, 5))) {
            HfLanguageModel hm = HfLanguageModel.of(m);
            int[] windows = hm.hfConfig().slidingWindowPerLayer();
            assertThat(windows)
                    .as("windows per layer")
                    .containsExactly(window > 0 ? new int[] {4, 4, 4, type.equals("olmo3") ? 0 : 4} : new int[4]);
            for (int l = 0; l < 4; l++) {
                assertThat(hm.transformer().rows().edgeRowsClosedForm(l))
                        .as("%s layer %d takes the closed form", type, l)
                        .isTrue();
                int win = windows[l];
                assertClosedFormRows(b, type, l, rs, (j, i) -> i <= j && (win == 0 || i > j - win));
            }
        }
    }

    /**
     * The closed-form rows {@code rs} of attention layer {@code l} equal one backward pass over the repeated input
     * and the plain definition (to 1e-10 of the largest), and are exactly 0 where row j does not see key i.
     */
    private static void assertClosedFormRows(
            GraphBuilder b, String type, int l, int[] rs, java.util.function.BiPredicate<Integer, Integer> seen) {
        double[] closed = b.attentionRowsClosedForm(l, rs);
        double[] repeated = b.attentionRowsRepeated(l, rs);
        double[][] definition = FullRows.of(b, 2 * l, rs);
        // the edges from other positions on their own scale: the own position's residual can dwarf them (under
        // gradient×input the norm's gradient leaves them ~ε/ms of it)
        double scale = maxAbs(repeated);
        double others = 0;
        for (int c = 0; c < rs.length; c++) {
            for (int i = 0; i < rs[c]; i++) {
                others = Math.max(others, Math.abs(repeated[c * T + i]));
            }
        }
        assertThat(others)
                .as("%s layer %d: edges from other positions", type, l)
                .isPositive();
        assertThat(closed).hasSameSizeAs(repeated).hasSize(rs.length * T);
        for (int c = 0; c < rs.length; c++) {
            for (int i = 0; i < T; i++) {
                double w = closed[c * T + i];
                // plus rounding on the row's whole scale (a backward pass through a norm whose normaliser is not
                // detached takes the small share as a difference of large ones)
                double tol = 1e-10 * (i == rs[c] ? scale : others) + 1e-14 * scale;
                assertThat(w)
                        .as("%s layer %d W[%d,%d] vs one backward pass", type, l, rs[c], i)
                        .isCloseTo(repeated[c * T + i], offset(tol));
                assertThat(w)
                        .as("%s layer %d W[%d,%d] vs the definition", type, l, rs[c], i)
                        .isCloseTo(definition[c][i], offset(tol));
                if (!seen.test(rs[c], i)) {
                    assertThat(w)
                            .as("%s layer %d W[%d,%d] unseen", type, l, rs[c], i)
                            .isZero();
                }
            }
        }
    }

    /**
     * Gradient×input (no rules): the closed form, with each factor's share shrunk by its norms' ε/(ms+ε) and no
     * halving, equals one backward pass over the repeated input and the plain definition: a pre-attention norm
     * (Llama with small embeddings, so the shrink is far from 0; Mistral's window; Qwen2's biases; GPT-2's LayerNorm
     * and biases), q/k norms (Qwen3 per head, OLMo-2/3 over the whole projection; small q/k weights, so their
     * shrink is far from 0 too) and the norm after the block (OLMo, whose gradient G passes through), both softmax
     * rules.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({
        "llama, ATTNLRP",
        "llama, DETACH",
        "mistral, ATTNLRP",
        "qwen2, ATTNLRP",
        "gpt2, ATTNLRP",
        "gpt2, DETACH",
        "qwen3, ATTNLRP",
        "qwen3, DETACH",
        "olmo2, ATTNLRP",
        "olmo2, DETACH",
        "olmo3, ATTNLRP"
    })
    void closedFormRowsEqualTheBackwardPassUnderGradientTimesInput(String type, SoftmaxRule softmax)
            throws IOException {
        int window = type.equals("mistral") || type.equals("olmo3") ? 4 : 0;
        RandomModels.Spec spec =
                RandomModels.of(type).seed(23).vocab(VOCAB).layers(3).window(window);
        switch (type) {
            case "llama" -> spec.embedStd(0.003);
            case "qwen3", "olmo2", "olmo3" -> spec.qkStd(0.001);
            default -> {}
        }
        Path model = spec.write(dir.resolve("gxi-" + type));
        int[] rs = {0, 2, 7, 8, 13};
        try (LanguageModel m = ModelLoader.load(model, DType.FLOAT64, "cpu");
                GraphBuilder b = globalOnly(m, request(Method.GRADXINPUT, softmax, 0, 5))) {
            var tr = HfLanguageModel.of(m).transformer();
            for (int l = 0; l < 3; l++) {
                assertThat(tr.rows().edgeRowsClosedForm(l))
                        .as("%s layer %d takes the closed form", type, l)
                        .isTrue();
                assertClosedFormRows(b, type, l, rs, (j, i) -> i <= j && (window == 0 || i > j - window));
            }
        }
    }

    /**
     * Blocks with constant terms (GPT-2: LayerNorm bias, q/k/v and output biases, learned positions; Qwen2: q/k/v
     * biases with RoPE, GQA): the closed form, which takes each factor's part from its linear part, equals one
     * backward pass over the repeated input and the plain definition, under both softmax rules.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"gpt2, ATTNLRP", "gpt2, DETACH", "qwen2, ATTNLRP", "qwen2, DETACH"})
    void closedFormRowsEqualTheBackwardPassWithBiases(String type, SoftmaxRule softmax) throws IOException {
        Path model = RandomModels.of(type).seed(19).vocab(VOCAB).layers(3).write(dir.resolve("b-" + type));
        int[] rs = {0, 2, 7, 8, 13};
        try (LanguageModel m = ModelLoader.load(model, DType.FLOAT64, "cpu");
                GraphBuilder b = globalOnly(m, request(Method.ATTNLRP, softmax, 0, 5))) {
            var tr = dev.faultline.engine.model.HfLanguageModel.of(m).transformer();
            for (int l = 0; l < 3; l++) {
                assertThat(tr.rows().attentionHasConstantTerms(l))
                        .as("%s layer %d has biases", type, l)
                        .isTrue();
                assertThat(tr.rows().edgeRowsClosedForm(l))
                        .as("%s layer %d takes the closed form", type, l)
                        .isTrue();
                assertThat(tr.rows().edgeRowsClosedForm(l))
                        .as("gradient×input takes it too")
                        .isTrue();
                assertClosedFormRows(b, type, l, rs, (j, i) -> i <= j);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama", "gpt2"})
    void batchPackedRowsEqualRowByRowAndTheDefinition(String name) {
        LanguageModel m = model(name);
        try (GraphBuilder b = globalOnly(m, request(Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 5))) {
            for (int k = 0; k < 2 * m.config().numLayers(); k += 2) {
                double[][] packed = dense(b, k, 5);
                double[][] single = dense(b, k, 1);
                // the closed form (keys and values shared by the copies; GPT-2's linear parts too) the other way
                int[] rs = {3, 4, 9, 13};
                double[] closed = b.attentionRowsClosedForm(k / 2, rs);
                double[] repeated = b.attentionRowsRepeated(k / 2, rs);
                assertThat(closed).hasSameSizeAs(repeated);
                for (int i = 0; i < closed.length; i++) {
                    assertThat(closed[i]).as("closed form vs repeated [%d]", i).isCloseTo(repeated[i], offset(1e-10));
                }
                double[][] definition = new double[T][];
                for (int j = 0; j < T; j++) {
                    definition[j] = FullRows.of(b, k, new int[] {j})[0];
                }
                double scale = 0;
                for (double[] row : definition) {
                    scale = Math.max(scale, maxAbs(row));
                }
                assertThat(scale).isPositive();
                for (int j = 0; j < T; j++) {
                    for (int i = 0; i < T; i++) {
                        assertThat(packed[j][i])
                                .as("packed W[%d,%d] layer %d", j, i, k / 2)
                                .isCloseTo(single[j][i], offset(1e-12 * scale));
                        assertThat(single[j][i])
                                .as("query-sliced vs full block W[%d,%d]", j, i)
                                .isCloseTo(definition[j][i], offset(1e-10 * scale));
                    }
                }
                // the plain definition batch-packed too (full block, copies seeded with G_b)
                double[][] fullPacked = FullRows.of(b, k, allRows());
                for (int j = 0; j < T; j++) {
                    for (int i = 0; i < T; i++) {
                        assertThat(fullPacked[j][i]).isCloseTo(definition[j][i], offset(1e-12 * scale));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama", "gpt2"})
    void nodeRelevanceEqualsTheEnginesGlobalBackward(String name) {
        LanguageModel m = model(name);
        Attribution a;
        try (AttributionEngine engine = new AttributionEngine(1)) {
            a = engine.attribute(
                    m, new AttributionRequest(ids, -1, 5, 9, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0, 0, 1));
        }
        try (GraphBuilder b = globalOnly(m, request(Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 4))) {
            assertThat(b.logitDiff()).isCloseTo(a.logitDiff(), offset(1e-10));
            int layers = m.config().numLayers();
            double scale = Math.abs(a.logitDiff());
            for (int l = 0; l <= layers; l++) {
                double[] mine = b.relevance(2 * l);
                for (int j = 0; j < T; j++) {
                    assertThat(mine[j])
                            .as("input of layer %d, token %d", l, j)
                            .isCloseTo(a.layerInputRelevance()[l][j], offset(1e-9 * scale));
                }
                if (l < layers) {
                    double[] post = b.relevance(2 * l + 1);
                    for (int j = 0; j < T; j++) {
                        assertThat(post[j]).isCloseTo(a.postAttentionRelevance()[l][j], offset(1e-9 * scale));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama", "gpt2"})
    void pruningKeepsEdgeMassPerSubLayerAndOnlyAncestorsOfTheTarget(String name) {
        LanguageModel m = model(name);
        GraphRequest r = request(Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 3);
        AttributionGraph graph = AttributionGraphs.buildHere(m, r);
        int layers = m.config().numLayers();
        assertThat(graph.pruning()).hasSize(2 * layers);
        String targetId = AttributionGraph.nodeId(layers, AttributionGraph.INPUT, T - 1);
        Map<String, AttributionGraph.Node> nodes = new HashMap<>();
        graph.nodes().forEach(n -> nodes.put(n.id(), n));
        assertThat(nodes).containsKey(targetId);
        try (GraphBuilder b = globalOnly(m, r)) {
            for (int k = 0; k < 2 * layers; k++) {
                AttributionGraph.Pruning p = graph.pruning().get(k);
                double[][] w = dense(b, k, 3);
                // independent: sort every computed |w| of the sub-layer, smallest prefix holding 85 %
                List<Double> all = new ArrayList<>();
                double total = 0;
                double[] nodeRel = b.relevance(k + 1);
                int rows = 0;
                long count = 0;
                for (int j = 0; j < T; j++) {
                    if (nodeRel[j] == 0) { // node-threshold 0: rows of nodes with any relevance
                        continue;
                    }
                    rows++;
                    count += k % 2 == 0 ? j + 1 : 1;
                    for (int i = 0; i <= j; i++) {
                        all.add(Math.abs(w[j][i]));
                        total += Math.abs(w[j][i]);
                    }
                }
                all.sort((x, y) -> Double.compare(y, x));
                double cum = 0;
                int minimal = 0;
                while (cum < 0.85 * total) {
                    cum += all.get(minimal++);
                }
                assertThat(p.keptMass()).as("kept mass, sub-layer %d", k).isGreaterThanOrEqualTo(0.85 - 1e-12);
                assertThat(p.rows()).isEqualTo(rows);
                assertThat(p.total()).isEqualTo(count);
                assertThat(p.kept()).as("smallest set, sub-layer %d", k).isEqualTo(minimal);
                assertThat(p.peakCandidates()).isLessThanOrEqualTo(p.total());
                // every kept edge into an ancestor is in the graph, and nothing else
                int stageLayer = (k + 1) / 2;
                String stage = k % 2 == 0 ? AttributionGraph.POST_ATTENTION : AttributionGraph.INPUT;
                String srcStage = k % 2 == 0 ? AttributionGraph.INPUT : AttributionGraph.POST_ATTENTION;
                int srcLayer = k / 2;
                Set<String> expected = new HashSet<>();
                for (int j = 0; j < T; j++) {
                    if (!nodes.containsKey(AttributionGraph.nodeId(stageLayer, stage, j))) {
                        continue;
                    }
                    for (int i = 0; i <= j; i++) {
                        if (Math.abs(w[j][i]) > p.threshold() * (1 + 1e-6)) {
                            expected.add(AttributionGraph.nodeId(srcLayer, srcStage, i) + ">"
                                    + AttributionGraph.nodeId(stageLayer, stage, j));
                        }
                    }
                }
                Set<String> actual = new HashSet<>();
                for (AttributionGraph.Edge e : graph.edges()) {
                    if (e.target().startsWith(stageLayer + ":" + stage + ":")) {
                        actual.add(e.source() + ">" + e.target());
                        assertThat(Math.abs(e.weight())).isGreaterThanOrEqualTo(p.threshold() * (1 - 1e-6));
                    }
                }
                assertThat(actual).containsAll(expected);
                assertThat(actual).hasSize((int) p.ancestors());
            }
        }
        // only ancestors: every node reaches the target through kept edges
        Map<String, List<String>> out = new HashMap<>();
        for (AttributionGraph.Edge e : graph.edges()) {
            assertThat(nodes).containsKeys(e.source(), e.target());
            out.computeIfAbsent(e.source(), s -> new ArrayList<>()).add(e.target());
        }
        for (AttributionGraph.Node n : graph.nodes()) {
            assertThat(reaches(n.id(), targetId, out))
                    .as("%s reaches the target", n.id())
                    .isTrue();
        }
        assertThat(graph.nodes().stream().filter(n -> n.layer() == layers)).hasSize(1);
        assertThat(graph.metrics().verticality()).isBetween(0.0, 1.0);
        assertThat(graph.metrics().layers()).hasSize(2 * layers + 1);
    }

    private static boolean reaches(String from, String target, Map<String, List<String>> out) {
        if (from.equals(target)) {
            return true;
        }
        for (String next : out.getOrDefault(from, List.of())) {
            if (reaches(next, target, out)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void nodeThresholdSkipsRowsOfWeakNodes() {
        AttributionGraph all = AttributionGraphs.buildHere(llama, request(Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 4));
        AttributionGraph some =
                AttributionGraphs.buildHere(llama, request(Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0.05, 4));
        assertThat(some.metrics().rowsComputed()).isLessThan(all.metrics().rowsComputed());
        double limit = 0.05 * Math.abs(some.metrics().logitDiff());
        // nodes with incoming edges were above the threshold
        Set<String> targets = new HashSet<>();
        some.edges().forEach(e -> targets.add(e.target()));
        for (AttributionGraph.Node n : some.nodes()) {
            if (targets.contains(n.id())) {
                assertThat(Math.abs(n.relevance())).isGreaterThan(limit);
            }
        }
    }

    @Test
    void engineBuildsTheSameGraphOnItsWorkerWithProgress() {
        GraphRequest r = request(Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0.01, 4);
        AttributionGraph here = AttributionGraphs.buildHere(llama, r);
        List<GraphProgress> progress = new ArrayList<>();
        AttributionGraph there;
        try (AttributionEngine engine = new AttributionEngine(2)) {
            there = AttributionGraphs.build(engine, llama, r, progress::add);
        }
        assertThat(there.edges()).isEqualTo(here.edges());
        assertThat(there.nodes()).isEqualTo(here.nodes());
        assertThat(progress.get(progress.size() - 1).phase()).isEqualTo("done");
        assertThat(progress.get(progress.size() - 1).fraction()).isEqualTo(1.0);
        assertThat(progress).extracting(GraphProgress::fraction).isSorted();
    }

    @Test
    void badRequestsAreRefusedClearly() {
        assertThatThrownBy(() -> new GraphRequest(ids, -1, 5, 9, null, null, 0.01, 1.5, 0, 1 << 20))
                .hasMessageContaining("edge-mass");
        assertThatThrownBy(() -> new GraphRequest(ids, -1, 5, 9, null, null, -1, 0.85, 0, 1 << 20))
                .hasMessageContaining("node-threshold");
        assertThatThrownBy(() -> AttributionGraphs.buildHere(
                        llama, new GraphRequest(ids, T + 3, 5, 9, null, null, 0.01, 0.85, 0, 1 << 20)))
                .hasMessageContaining("position");
    }
}
