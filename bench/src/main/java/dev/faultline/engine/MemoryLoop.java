package dev.faultline.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Native-memory check: 1,000 attributions (with the faithfulness check) on the benchmark model, printing the
 * process's resident memory every 100; it must stay flat after warm-up. Run with
 * {@code ./mvnw -Pbench -DskipTests test-compile exec:exec -Djmh.args=...} replaced by
 * {@code exec:exec -Dexec.mainClass}: see bench/RESULTS.md for the exact command.
 */
public final class MemoryLoop {

    private MemoryLoop() {}

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        Path dir = Files.createTempDirectory("faultline-memory");
        RandomCheckpoint.tinyStoriesLike(4096).write(dir);
        Random r = new Random(1);
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = r.nextInt(512);
        }
        try (LanguageModel model = ModelLoader.load(dir, DType.FLOAT32, "cpu");
                AttributionEngine engine = new AttributionEngine(4)) {
            for (int i = 1; i <= n; i++) {
                engine.attribute(
                        model,
                        new AttributionRequest(ids, -1, 17, 42, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, i, 0.0, 10));
                if (i % 100 == 0 || i == 1) {
                    System.out.println("attributions=" + i + " " + rss());
                }
            }
        }
    }

    private static String rss() throws IOException {
        StringBuilder s = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS") || line.startsWith("VmHWM")) {
                s.append(line.replaceAll("\\s+", " ")).append(' ');
            }
        }
        return s.toString().trim();
    }
}
