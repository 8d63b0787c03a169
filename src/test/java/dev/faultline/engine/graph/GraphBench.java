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
 * Attribution-graph benchmark for {@code bench/RESULTS.md} (issue 7); skipped unless {@code -Dbench=true}:
 * {@code ./mvnw -o -B -q test -Dtest=GraphBench#batchPackedVsRowByRow512 -Dbench=true} and
 * {@code ./mvnw -o -B -q test -Dtest=GraphBench#longContext4096 -Dbench=true} (separately, so the peak RSS is its own).
 */
class GraphBench {

    @TempDir
    Path dir;

    private static void enabled() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
    }

    /** TinyStories-260K (the real checkpoint in ../shared) at its full 512 positions: B rows per pass vs 1. */
    @Test
    void batchPackedVsRowByRow512() throws IOException {
        enabled();
        Path shared = Path.of(System.getProperty("faultline.shared.dir", "../shared"));
        Path modelDir = shared.resolve("models/tinystories-260k");
        assumeTrue(Files.isDirectory(modelDir), "no " + modelDir);
        int[] ids = clozeIds(shared.resolve("data/tinystories-cloze/expected.jsonl"), 512);
        int runs = Integer.getInteger("bench.runs", 3);
        try (LanguageModel m = ModelLoader.load(modelDir, DType.FLOAT32, "cpu")) {
            // node-threshold 0: every row with any relevance is computed (the default 0.01 leaves ~18 per layer)
            double nodeThreshold = Double.parseDouble(System.getProperty("bench.node-threshold", "0"));
            GraphRequest packed = new GraphRequest(ids, -1, 307, 302, Method.ATTNLRP, SoftmaxRule.ATTNLRP,
                    nodeThreshold, 0.85, 0, GraphRequest.DEFAULT_MEMORY_BUDGET);
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
            report(String.format("512 tokens, TinyStories-260K (float32, 1 thread), node-threshold %s: B=%d, rows %d; "
                    + "rows phase median packed %.0f ms vs row-by-row %.0f ms (ratio %.4f, goal <= 2/B = %.4f); "
                    + "whole graph median packed %.0f ms vs row-by-row %.0f ms; edges kept %d, nodes %d; "
                    + "inside the rows phase: backward passes packed %.0f ms vs row-by-row %.0f ms (ratio %.4f), "
                    + "edge selection packed %.0f ms vs row-by-row %.0f ms",
                    nodeThreshold, b, last.metrics().rowsComputed(), pRows, sRows, pRows / sRows, 2.0 / b, median(packedRuns, 0),
                    median(singleRuns, 0), last.edges().size(), last.nodes().size(), median(packedRuns, 2),
                    median(singleRuns, 2), median(packedRuns, 2) / median(singleRuns, 2), median(packedRuns, 3),
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
                report(String.format("  B=%d: backward passes of the rows median %.0f ms vs row-by-row %.0f ms: ratio %.4f = "
                        + "%.2f/B (goal <= 2/B)", fixed, a, s1, a / s1, a / s1 * fixed));
            }
        }
    }

    /** A random Llama shaped like TinyStories-260K with 4,096 positions, one run at 4,096 tokens. */
    @Test
    void longContext4096() throws IOException {
        enabled();
        int t = Integer.getInteger("bench.tokens", 4096);
        Path modelDir = RandomModels.llama(dir.resolve("ts4096"), 11, 512, 64, 5, 8, 4, 172, Math.max(4096, t), 0.02,
                0.02);
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
            GraphRequest r = new GraphRequest(ids, -1, 7, 9, Method.ATTNLRP, SoftmaxRule.ATTNLRP, nodeThreshold, 0.85,
                    0, budget);
            long t0 = System.nanoTime();
            AttributionGraph g = AttributionGraphs.buildHere(m, r);
            double ms = (System.nanoTime() - t0) / 1e6;
            long rss = rssPeakKb();
            report(String.format("%d tokens, random Llama hidden 64, 5 layers, 8/4 heads, inter 172, vocab 512 "
                    + "(float32, 1 thread), node-threshold %s, memory budget %d MiB: B=%d, query chunk %d, rows computed %d, "
                    + "wall %.1f s (timings %s); peak RSS %d MiB "
                    + "(before the graph %d MiB); java heap used %d MiB; edges %d, nodes %d; verticality %.3f, "
                    + "mean look-back %.1f", t, nodeThreshold, budget >> 20, g.metrics().batchSize(),
                    g.metrics().queryChunk(), g.metrics().rowsComputed(), ms / 1000,
                    g.metrics().timingsMs(), rss / 1024, rss0 / 1024,
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20, g.edges().size(),
                    g.nodes().size(), g.metrics().verticality(), g.metrics().meanLookBack()));
            printPruning(g);
            for (AttributionGraph.Pruning p : g.pruning()) {
                assertThat(p.keptMass()).isGreaterThanOrEqualTo(0.85 - 1e-9);
            }
        }
    }

    private static void printPruning(AttributionGraph g) {
        for (AttributionGraph.Pruning p : g.pruning()) {
            report(String.format("  into %d:%s (%s): rows %d, total %d, peak candidates %d, kept %d (%.3f %% of n^2, "
                    + "mass %.3f), ancestors %d, threshold %.3g", p.layer(), p.stage(), p.sublayer(), p.rows(),
                    p.total(), p.peakCandidates(), p.kept(), 100 * p.denseShare(), p.keptMass(), p.ancestors(),
                    p.threshold()));
        }
    }

    private static double[] times(AttributionGraph g) {
        var tm = g.metrics().timingsMs();
        double all = tm.get("forward") + tm.get("global_backward") + tm.get("rows") + tm.get("prune");
        return new double[] {all, tm.get("rows"), tm.getOrDefault("rows_compute", 0.0),
                tm.getOrDefault("rows_select", 0.0)};
    }

    private static double median(List<double[]> runs, int i) {
        double[] v = runs.stream().mapToDouble(a -> a[i]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
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
            Files.writeString(out, line + System.lineSeparator(), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
