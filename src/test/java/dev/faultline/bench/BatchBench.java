package dev.faultline.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Batched attribution against one pass per request (bench/RESULTS.md): the real failures of the TinyStories-260K
 * cloze run (their reference ids, positions and pairs, 60–70 tokens), attributed B at a time with faithfulness
 * (k = 5), B = 1, 4, 8, 16, interleaved per round so every B sees the same machine state; the median over rounds of
 * milliseconds per attribution. Optionally a checkpoint directory ({@code -Dbench.model=DIR}, e.g. the size ladder's
 * Qwen3-0.6B) on random ids of {@code bench.tokens} tokens. Not a test: runs only with {@code -Dbench=true}:
 * <pre>
 * ./mvnw -o -B -q test -Dtest=BatchBench -Dbench=true [-Dbench.rounds=7] [-Dbench.model=/tmp/faultline-ladder/qwen3-0.6b -Dbench.tokens=128 -Dbench.batches=1,4]
 * </pre>
 */
class BatchBench {

    @Test
    void batches() throws IOException {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        Path shared = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"));
        String modelDir = System.getProperty("bench.model");
        int[] bs = Arrays.stream(System.getProperty("bench.batches", "1,4,8,16").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        int rounds = Integer.getInteger("bench.rounds", 7);
        List<AttributionRequest> pool = new ArrayList<>();
        Path dir;
        if (modelDir == null) {
            dir = shared.resolve("models/tinystories-260k");
            ObjectMapper json = new ObjectMapper();
            try (BufferedReader r = Files.newBufferedReader(shared.resolve("data/tinystories-cloze/expected.jsonl"))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    JsonNode o = json.readTree(line).get("oracle");
                    if (o == null || o.isNull()) {
                        continue;
                    }
                    int[] ids = new int[o.get("ids").size()];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = o.get("ids").get(i).asInt();
                    }
                    pool.add(request(
                            ids,
                            o.get("position").asInt(),
                            o.get("wrong").asInt(),
                            o.get("correct").asInt()));
                }
            }
        } else {
            dir = Path.of(modelDir);
            int tokens = Integer.getInteger("bench.tokens", 128);
            java.util.Random rnd = new java.util.Random(3);
            for (int e = 0; e < 16; e++) {
                int[] ids = new int[tokens - rnd.nextInt(tokens / 8)]; // mixed lengths
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 1000 + rnd.nextInt(50_000);
                }
                pool.add(request(ids, ids.length - 1, 11, 13));
            }
        }
        int need = Arrays.stream(bs).max().orElse(1);
        while (pool.size() < need) {
            pool.addAll(new ArrayList<>(pool));
        }
        double[][] msPer = new double[bs.length][rounds];
        try (AttributionEngine engine = new AttributionEngine(4);
                LanguageModel model = ModelLoader.load(dir, DType.FLOAT32, "cpu")) {
            for (int b : bs) { // warm-up
                engine.attributeBatch(model, pool.subList(0, b));
            }
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < bs.length; i++) {
                    int b = bs[i];
                    int from = (round * b) % (pool.size() - b + 1);
                    long t0 = System.nanoTime();
                    engine.attributeBatch(model, pool.subList(from, from + b));
                    msPer[i][round] = (System.nanoTime() - t0) / 1e6 / b;
                }
            }
        }
        StringBuilder out = new StringBuilder("# batch bench " + java.time.Instant.now() + ", " + dir.getFileName()
                + ", intra-op threads " + System.getProperty("ai.djl.pytorch.num_threads") + ", " + rounds
                + " rounds\n| B | ms per attribution (median) | min | max | speed-up over B = " + bs[0]
                + " |\n|---|---|---|---|---|\n");
        double base = median(msPer[0]);
        for (int i = 0; i < bs.length; i++) {
            double[] v = msPer[i].clone();
            Arrays.sort(v);
            out.append(String.format(
                    "| %d | %.2f | %.2f | %.2f | %.2f× |%n",
                    bs[i], median(msPer[i]), v[0], v[v.length - 1], base / median(msPer[i])));
        }
        System.out.print(out);
        Files.createDirectories(Path.of("target"));
        Files.writeString(
                Path.of("target/batch-bench.txt"),
                out.toString(),
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    private static AttributionRequest request(int[] ids, int position, int wrong, int correct) {
        return new AttributionRequest(
                ids, position, wrong, correct, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, 1L, 0.0, 5);
    }

    private static double median(double[] a) {
        double[] v = a.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
