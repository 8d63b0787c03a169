package dev.faultline.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attribution-graph benchmark for {@code bench/RESULTS.md}; skipped unless {@code -Dbench=true}:
 * {@code ./mvnw -o -B -q test -Dtest=GraphBench#batchPackedVsRowByRow512 -Dbench=true} and
 * {@code ./mvnw -o -B -q test -Dtest=GraphBench#rowsInterleaved512 -Dbench=true} and
 * {@code ./mvnw -o -B -q test -Dtest=GraphBench#longContext4096 -Dbench=true} (separately, so the peak RSS is its own).
 */
class GraphBench {

    @TempDir
    Path dir;

    private static void enabled() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
    }

    /** {@code -Dbench.method} (attnlrp): the method of the whole-graph benches. */
    private static Method method() {
        return Method.parse(System.getProperty("bench.method", "attnlrp"));
    }

    /** TinyStories-260K (the real checkpoint in the test data) at its full 512 positions: B rows per pass vs 1. */
    @Test
    void batchPackedVsRowByRow512() throws IOException {
        enabled();
        Path modelDir = tinyStories();
        int[] ids = clozeIds512();
        int runs = Integer.getInteger("bench.runs", 3);
        try (LanguageModel m = ModelLoader.load(modelDir, DType.FLOAT32, "cpu")) {
            // node-threshold 0: every row with any relevance is computed (the default 0.01 leaves ~18 per layer)
            double nodeThreshold = Double.parseDouble(System.getProperty("bench.node-threshold", "0"));
            GraphRequest packed = new GraphRequest(
                    ids,
                    -1,
                    307,
                    302,
                    method(),
                    SoftmaxRule.ATTNLRP,
                    nodeThreshold,
                    0.85,
                    0,
                    GraphRequest.DEFAULT_MEMORY_BUDGET);
            AttributionGraphs.buildHere(m, packed.withBatchSize(1)); // warm-up
            List<double[]> packedRuns = new ArrayList<>();
            List<double[]> singleRuns = new ArrayList<>();
            AttributionGraph last = null;
            for (int r = 0; r < runs; r++) {
                last = AttributionGraphs.buildHere(m, packed);
                packedRuns.add(times(last));
                singleRuns.add(times(AttributionGraphs.buildHere(m, packed.withBatchSize(1))));
            }
            double pRows = median(packedRuns, 1);
            double sRows = median(singleRuns, 1);
            int b = last.metrics().batchSize();
            report(String.format(
                    "512 tokens, TinyStories-260K (float32, 1 thread), " + method().label()
                            + ", node-threshold %s: B=%d, rows %d; "
                            + "rows phase median packed %.0f ms vs row-by-row %.0f ms (ratio %.4f, goal <= 2/B = %.4f); "
                            + "whole graph median packed %.0f ms vs row-by-row %.0f ms; edges kept %d, nodes %d; "
                            + "inside the rows phase: compute of the rows packed %.0f ms vs row-by-row %.0f ms (ratio %.4f), "
                            + "edge selection packed %.0f ms vs row-by-row %.0f ms",
                    nodeThreshold,
                    b,
                    last.metrics().rowsComputed(),
                    pRows,
                    sRows,
                    pRows / sRows,
                    2.0 / b,
                    median(packedRuns, 0),
                    median(singleRuns, 0),
                    last.edges().size(),
                    last.nodes().size(),
                    median(packedRuns, 2),
                    median(singleRuns, 2),
                    median(packedRuns, 2) / median(singleRuns, 2),
                    median(packedRuns, 3),
                    median(singleRuns, 3)));
            printPruning(last);
            // the same rows at other batch sizes, row-by-row measured again in between (same run, same machine state)
            for (int fixed : new int[] {8, 16, 32, 64}) {
                List<double[]> at = new ArrayList<>();
                List<double[]> single = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    at.add(times(AttributionGraphs.buildHere(m, packed.withBatchSize(fixed))));
                    single.add(times(AttributionGraphs.buildHere(m, packed.withBatchSize(1))));
                }
                double a = median(at, 2);
                double s1 = median(single, 2);
                report(String.format(
                        "  B=%d: compute of the rows median %.0f ms vs row-by-row %.0f ms: ratio %.4f = "
                                + "%.2f/B (goal <= 2/B)",
                        fixed, a, s1, a / s1, a / s1 * fixed));
            }
        }
    }

    /**
     * The rows alone, interleaved: per attention layer, each batch of B rows in one pass, then the same rows one per
     * pass, right after, so both see the same machine state (the whole-graph runs above alternate whole builds).
     * Each layer's keys and values are made before its clock starts (once per layer whichever way the rows go).
     * Also one backward pass per row over the input (the plain row-by-row definition; the autograd path that
     * gradient×input takes), on every 8th position. {@code -Dbench.runs} repetitions; medians.
     */
    @Test
    void rowsInterleaved512() throws IOException {
        enabled();
        Path modelDir = tinyStories();
        int[] ids = clozeIds512();
        int runs = Integer.getInteger("bench.runs", 5);
        try (LanguageModel m = ModelLoader.load(modelDir, DType.FLOAT32, "cpu");
                GraphBuilder b = new GraphBuilder(
                        dev.faultline.engine.model.HfLanguageModel.of(m),
                        new GraphRequest(
                                ids,
                                -1,
                                307,
                                302,
                                Method.ATTNLRP,
                                SoftmaxRule.ATTNLRP,
                                0,
                                0.85,
                                0,
                                GraphRequest.DEFAULT_MEMORY_BUDGET))) {
            while (b.progress().phase().equals("global")) {
                b.step();
            }
            int layers = m.config().numLayers();
            int batch = b.batchSize();
            double packedAuto = 0;
            int rowsAuto = 0;
            for (int fixed :
                    java.util.stream.IntStream.of(8, 16, batch, 64).distinct().toArray()) {
                List<double[]> reps = new ArrayList<>();
                for (int r = 0; r < runs + 1; r++) { // the first is a warm-up
                    double packed = 0;
                    double single = 0;
                    double keysValues = 0;
                    int passes = 0;
                    int rows = 0;
                    for (int l = 0; l < layers; l++) {
                        double[] rel = b.relevance(2 * l + 1);
                        int[] all = java.util.stream.IntStream.range(0, rel.length)
                                .filter(j -> rel[j] != 0)
                                .toArray();
                        // the layer's keys and values (made once per layer, whichever way its rows are then computed)
                        // before the clock starts: otherwise the first packed pass of each layer pays for them alone
                        long k0 = System.nanoTime();
                        b.attentionRows(l, new int[] {all[0]});
                        keysValues += System.nanoTime() - k0;
                        for (int from = 0; from < all.length; from += fixed) {
                            int[] rs = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + fixed));
                            long t0 = System.nanoTime();
                            b.attentionRows(l, rs);
                            long t1 = System.nanoTime();
                            for (int j : rs) {
                                b.attentionRows(l, new int[] {j});
                            }
                            packed += t1 - t0;
                            single += System.nanoTime() - t1;
                            passes++;
                            rows += rs.length;
                        }
                    }
                    if (r > 0) {
                        reps.add(new double[] {
                            packed / 1e6, single / 1e6, packed / single, passes, rows, keysValues / 1e6
                        });
                    }
                }
                double ratio = median(reps, 2);
                if (fixed == batch) {
                    packedAuto = median(reps, 0);
                    rowsAuto = (int) reps.get(0)[4];
                }
                report(String.format(
                        "512 tokens, rows alone, interleaved, B=%d%s: %d rows in %.0f passes; packed "
                                + "median %.1f ms vs one row per pass %.1f ms: ratio %.4f = %.2f/B (goal <= 2/B); ratios of "
                                + "the %d runs %s; keys and values of the %d layers (with one row each, untimed above) %.1f ms",
                        fixed,
                        fixed == batch ? " (automatic)" : "",
                        (int) reps.get(0)[4],
                        reps.get(0)[3],
                        median(reps, 0),
                        median(reps, 1),
                        ratio,
                        ratio * fixed,
                        reps.size(),
                        reps.stream()
                                .map(x -> String.format("%.2f/B", x[2] * fixed))
                                .toList(),
                        layers,
                        median(reps, 5)));
            }
            // one backward pass per row (the autograd rows), against the closed form's single rows: same rows
            double closed = 0;
            double backward = 0;
            int n = 0;
            for (int r = 0; r < 2; r++) {
                for (int l = 0; l < layers; l++) {
                    for (int j = 0; j < 512; j += 8) {
                        long t0 = System.nanoTime();
                        b.attentionRowsClosedForm(l, new int[] {j});
                        long t1 = System.nanoTime();
                        b.attentionRowsRepeated(l, new int[] {j});
                        if (r > 0) {
                            closed += t1 - t0;
                            backward += System.nanoTime() - t1;
                            n++;
                        }
                    }
                }
            }
            double byBackward = backward / n / 1e6 * rowsAuto;
            report(String.format(
                    "  one row per pass: closed form %.0f us vs one backward pass over the input %.0f us "
                            + "(mean of %d rows, every 8th position of each layer); so every row one backward pass each ~%.0f "
                            + "ms, and the packed rows at B=%d (%.1f ms) vs that: %.4f = %.2f/B",
                    closed / n / 1e3,
                    backward / n / 1e3,
                    n,
                    byBackward,
                    batch,
                    packedAuto,
                    packedAuto / byBackward,
                    packedAuto / byBackward * batch));
        }
    }

    /**
     * A random GPT-2 (biases everywhere, learned positions; hidden 128, 4 layers, 4 heads, vocab 512) at
     * {@code -Dbench.tokens} (512): whole graphs at {@code -Dbench.node-threshold} (0.01), {@code -Dbench.runs}
     * builds (3) after a warm-up, medians. Only public API, so the same bench runs on older code.
     */
    @Test
    void gpt2Graph() throws IOException {
        enabled();
        int t = Integer.getInteger("bench.tokens", 512);
        int runs = Integer.getInteger("bench.runs", 3);
        wholeGraphs(gpt2Bench(t), t, runs, "0.01", "random GPT-2 hidden 128, 4 layers, 4 heads");
    }

    /**
     * A random model of {@code -Dbench.family} (qwen3: per-head q/k norms; olmo2: q/k norms over the whole projection
     * and norms after each block; mistral, olmo3: with a 128-token window) shaped like TinyStories-260K (hidden 64,
     * 5 layers, 8/4 heads, inter 172, vocab 512) at {@code -Dbench.tokens} (512): whole graphs under
     * {@code -Dbench.method} at {@code -Dbench.node-threshold} (0: every row), {@code -Dbench.runs} builds (3) after a
     * warm-up, medians. Only public API, so the same bench runs on older code.
     */
    @Test
    void familyGraph() throws IOException {
        enabled();
        String family = System.getProperty("bench.family", "qwen3");
        int t = Integer.getInteger("bench.tokens", 512);
        int runs = Integer.getInteger("bench.runs", 3);
        int window = family.equals("mistral") || family.equals("olmo3") ? 128 : 0;
        Path modelDir = RandomModels.tinyStoriesLike(family)
                .seed(17)
                .maxPositions(t)
                .window(window)
                .write(dir.resolve(family + "-" + t));
        wholeGraphs(modelDir, t, runs, "0", "random " + family + " hidden 64, 5 layers, 8/4 heads, inter 172");
    }

    /**
     * Whole graphs of the model in {@code modelDir} over {@link #gpt2Ids} ({@code t} tokens) under {@code
     * -Dbench.method} at {@code -Dbench.node-threshold} (else {@code defaultThreshold}): a warm-up, then {@code runs}
     * builds, medians reported with {@code model} as the model's description.
     */
    private void wholeGraphs(Path modelDir, int t, int runs, String defaultThreshold, String model) throws IOException {
        try (LanguageModel m = ModelLoader.load(modelDir, DType.FLOAT32, "cpu")) {
            double nodeThreshold = Double.parseDouble(System.getProperty("bench.node-threshold", defaultThreshold));
            GraphRequest r = new GraphRequest(
                    gpt2Ids(t),
                    -1,
                    7,
                    9,
                    method(),
                    SoftmaxRule.ATTNLRP,
                    nodeThreshold,
                    0.85,
                    0,
                    GraphRequest.DEFAULT_MEMORY_BUDGET);
            AttributionGraphs.buildHere(m, r); // warm-up
            List<double[]> all = new ArrayList<>();
            AttributionGraph g = null;
            for (int i = 0; i < runs; i++) {
                g = AttributionGraphs.buildHere(m, r);
                all.add(times(g));
            }
            report(String.format(
                    "%d tokens, %s (float32, 1 thread), " + method().label() + ", node-threshold %s: "
                            + "B=%d, rows computed %d; median of %d: graph %.0f ms, rows phase %.0f ms (compute %.0f ms); "
                            + "edges %d, nodes %d; last run's timings %s",
                    t,
                    model,
                    nodeThreshold,
                    g.metrics().batchSize(),
                    g.metrics().rowsComputed(),
                    runs,
                    median(all, 0),
                    median(all, 1),
                    median(all, 2),
                    g.edges().size(),
                    g.nodes().size(),
                    g.metrics().timingsMs()));
        }
    }

    /**
     * The same random GPT-2 at 512 tokens, rows alone: per attention layer every row, B at a time, in closed form and
     * by one backward pass over the input repeated B times (the path biased blocks took before the closed form
     * handled biases), and one row per pass both ways (the backward pass on every 8th batch only: it is slow).
     */
    @Test
    void gpt2Rows512() throws IOException {
        enabled();
        int t = 512;
        int runs = Integer.getInteger("bench.runs", 3);
        try (LanguageModel m = ModelLoader.load(gpt2Bench(t), DType.FLOAT32, "cpu");
                GraphBuilder b = new GraphBuilder(
                        dev.faultline.engine.model.HfLanguageModel.of(m),
                        new GraphRequest(
                                gpt2Ids(t),
                                -1,
                                7,
                                9,
                                Method.ATTNLRP,
                                SoftmaxRule.ATTNLRP,
                                0,
                                0.85,
                                0,
                                GraphRequest.DEFAULT_MEMORY_BUDGET))) {
            while (b.progress().phase().equals("global")) {
                b.step();
            }
            int batch = b.batchSize();
            List<double[]> reps = new ArrayList<>();
            for (int r = 0; r < runs + 1; r++) { // the first is a warm-up
                double[] ns = new double[6]; // closed packed, closed single, repeated packed, sampled: closed, repeated
                int rows = 0;
                int sampled = 0;
                for (int l = 0; l < m.config().numLayers(); l++) {
                    double[] rel = b.relevance(2 * l + 1);
                    int[] all = java.util.stream.IntStream.range(0, rel.length)
                            .filter(j -> rel[j] != 0)
                            .toArray();
                    b.attentionRows(l, new int[] {all[0]}); // the layer's keys and values, untimed
                    for (int from = 0, k = 0; from < all.length; from += batch, k++) {
                        int[] rs = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + batch));
                        long t0 = System.nanoTime();
                        b.attentionRowsClosedForm(l, rs);
                        long t1 = System.nanoTime();
                        for (int j : rs) {
                            b.attentionRowsClosedForm(l, new int[] {j});
                        }
                        long t2 = System.nanoTime();
                        b.attentionRowsRepeated(l, rs);
                        long t3 = System.nanoTime();
                        ns[0] += t1 - t0;
                        ns[1] += t2 - t1;
                        ns[2] += t3 - t2;
                        if (k % 8 == 0) {
                            for (int j : rs) {
                                long s0 = System.nanoTime();
                                b.attentionRowsClosedForm(l, new int[] {j});
                                long s1 = System.nanoTime();
                                b.attentionRowsRepeated(l, new int[] {j});
                                ns[3] += s1 - s0;
                                ns[4] += System.nanoTime() - s1;
                                sampled++;
                            }
                        }
                        rows += rs.length;
                    }
                }
                if (r > 0) {
                    reps.add(
                            new double[] {ns[0] / 1e6, ns[1] / 1e6, ns[2] / 1e6, ns[3] / 1e6, ns[4] / 1e6, rows, sampled
                            });
                }
            }
            double closedPacked = median(reps, 0);
            double closedSingle = median(reps, 1);
            double repeatedPacked = median(reps, 2);
            double perRowBackward = median(reps, 4) / reps.get(0)[6];
            double byBackward = perRowBackward * reps.get(0)[5];
            report(String.format(
                    "512 tokens, random GPT-2, rows alone, B=%d (automatic), %d rows, medians of %d: "
                            + "closed form packed %.1f ms, one row per pass %.1f ms (ratio %.2f/B); backward pass over the "
                            + "repeated input packed %.1f ms; one backward pass per row %.2f ms (mean of %d sampled rows; "
                            + "closed form single on the same rows %.3f ms), so every row that way ~%.0f ms: closed form "
                            + "packed vs it %.4f = %.2f/B",
                    batch,
                    (int) reps.get(0)[5],
                    reps.size(),
                    closedPacked,
                    closedSingle,
                    closedPacked / closedSingle * batch,
                    repeatedPacked,
                    perRowBackward,
                    (int) reps.get(0)[6],
                    median(reps, 3) / reps.get(0)[6],
                    byBackward,
                    closedPacked / byBackward,
                    closedPacked / byBackward * batch));
        }
    }

    /** The GPT-2 of {@link #gpt2Graph} with {@code t} positions (HF's initialisation scale, 0.02). */
    private Path gpt2Bench(int t) throws IOException {
        return RandomModels.of("gpt2")
                .seed(13)
                .vocab(512)
                .hidden(128)
                .layers(4)
                .heads(4)
                .maxPositions(t)
                .scale(0.02)
                .write(dir.resolve("gpt2-" + t));
    }

    private static int[] gpt2Ids(int t) {
        Random rnd = new Random(6);
        int[] ids = new int[t];
        for (int i = 0; i < t; i++) {
            ids[i] = rnd.nextInt(512);
        }
        return ids;
    }

    /** A random Llama shaped like TinyStories-260K with 4,096 positions, one run at 4,096 tokens. */
    @Test
    void longContext4096() throws IOException {
        enabled();
        int t = Integer.getInteger("bench.tokens", 4096);
        Path modelDir = RandomModels.tinyStoriesLike("llama")
                .seed(11)
                .maxPositions(Math.max(4096, t))
                .embedStd(0.02)
                .write(dir.resolve("ts4096"));
        // -Dbench.memory-budget=<bytes>: the budget that sets B and the query chunk (a huge one: one block, no chunks)
        long budget = Long.getLong("bench.memory-budget", GraphRequest.DEFAULT_MEMORY_BUDGET);
        Random rnd = new Random(5);
        int[] ids = new int[t];
        for (int i = 0; i < t; i++) {
            ids[i] = rnd.nextInt(512);
        }
        try (LanguageModel m = ModelLoader.load(modelDir, DType.FLOAT32, "cpu")) {
            long rss0 = rssPeakKb();
            double nodeThreshold = Double.parseDouble(System.getProperty("bench.node-threshold", "0.01"));
            GraphRequest r = new GraphRequest(
                    ids, -1, 7, 9, Method.ATTNLRP, SoftmaxRule.ATTNLRP, nodeThreshold, 0.85, 0, budget);
            long t0 = System.nanoTime();
            AttributionGraph g = AttributionGraphs.buildHere(m, r);
            double ms = (System.nanoTime() - t0) / 1e6;
            long rss = rssPeakKb();
            report(String.format(
                    "%d tokens, random Llama hidden 64, 5 layers, 8/4 heads, inter 172, vocab 512 "
                            + "(float32, 1 thread), node-threshold %s, memory budget %d MiB: B=%d, query chunk %d, rows computed %d, "
                            + "wall %.1f s (timings %s); peak RSS %d MiB "
                            + "(before the graph %d MiB); java heap used %d MiB; edges %d, nodes %d; verticality %.3f, "
                            + "mean look-back %.1f",
                    t,
                    nodeThreshold,
                    budget >> 20,
                    g.metrics().batchSize(),
                    g.metrics().queryChunk(),
                    g.metrics().rowsComputed(),
                    ms / 1000,
                    g.metrics().timingsMs(),
                    rss / 1024,
                    rss0 / 1024,
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
                    g.edges().size(),
                    g.nodes().size(),
                    g.metrics().verticality(),
                    g.metrics().meanLookBack()));
            printPruning(g);
            for (AttributionGraph.Pruning p : g.pruning()) {
                assertThat(p.keptMass()).isGreaterThanOrEqualTo(0.85 - 1e-9);
            }
        }
    }

    private static void printPruning(AttributionGraph g) {
        for (AttributionGraph.Pruning p : g.pruning()) {
            report(String.format(
                    "  into %d:%s (%s): rows %d, total %d, peak candidates %d, kept %d (%.3f %% of n^2, "
                            + "mass %.3f), ancestors %d, threshold %.3g",
                    p.layer(),
                    p.stage(),
                    p.sublayer(),
                    p.rows(),
                    p.total(),
                    p.peakCandidates(),
                    p.kept(),
                    100 * p.denseShare(),
                    p.keptMass(),
                    p.ancestors(),
                    p.threshold()));
        }
    }

    private static double[] times(AttributionGraph g) {
        var tm = g.metrics().timingsMs();
        double all = tm.get("forward") + tm.get("global_backward") + tm.get("rows") + tm.get("prune");
        return new double[] {
            all, tm.get("rows"), tm.getOrDefault("rows_compute", 0.0), tm.getOrDefault("rows_select", 0.0)
        };
    }

    private static double median(List<double[]> runs, int i) {
        double[] v = runs.stream().mapToDouble(a -> a[i]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static Path shared() {
        return Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"));
    }

    /** The real TinyStories-260K checkpoint in the test data (skips without it). */
    private static Path tinyStories() {
        Path modelDir = shared().resolve("models/tinystories-260k");
        assumeTrue(Files.isDirectory(modelDir), "no " + modelDir);
        return modelDir;
    }

    /** 512 token ids of the cloze prompts (expected.jsonl), concatenated. */
    private static int[] clozeIds512() throws IOException {
        return clozeIds(shared().resolve("data/tinystories-cloze/expected.jsonl"), 512);
    }

    private static int[] clozeIds(Path expected, int n) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Integer> ids = new ArrayList<>();
        for (String line : Files.readAllLines(expected)) {
            JsonNode p = json.readTree(line).get("prompt_ids");
            for (int i = ids.isEmpty() ? 0 : 1; i < p.size() && ids.size() < n; i++) {
                ids.add(p.get(i).asInt());
            }
            if (ids.size() >= n) {
                break;
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long rssPeakKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    private static void report(String line) {
        System.out.println("[graph-bench] " + line);
        try {
            Path out = Path.of("target/graph-bench.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(
                    out,
                    line + System.lineSeparator(),
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
