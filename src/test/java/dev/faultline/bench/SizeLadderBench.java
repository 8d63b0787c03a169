package dev.faultline.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The size ladder (bench/RESULTS.md): random-weight checkpoints of published shapes ({@link RealShapes}), BF16 and
 * sharded, written to a scratch folder (never the repository), then load time and peak RSS, and forward,
 * attribution and faithfulness at each length, with the ratio attribution / forward. Not a test: runs only with
 * {@code -Dbench=true}:
 * <pre>
 * ./mvnw -o -B -q test -Dtest=SizeLadderBench -Dbench=true -Dbench.shapes=qwen3-0.6b -Dbench.lengths=128,512 \
 *     -Dbench.dir=/tmp/faultline-ladder -DargLine=-Xmx2g
 * </pre>
 * Peak RSS per phase: the kernel's high-water mark (VmHWM) is reset before the phase ({@code /proc/self/clear_refs}
 * = 5) and read after it; it includes the weights and the runtime already resident. Prints and appends to
 * {@code target/size-ladder.txt}.
 */
class SizeLadderBench {

    @Test
    void ladder() throws IOException {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        Path scratch =
                Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir") + "/faultline-ladder"));
        Path tokenizer = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"), "tokenizers/qwen3");
        int[] lengths = Arrays.stream(
                        System.getProperty("bench.lengths", "128,512,2048").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        int runs = Integer.getInteger("bench.runs", 1);
        DType dtype = DType.parse(System.getProperty("bench.dtype", "float32"));
        String device = System.getProperty("bench.device", "cpu");
        List<String> lines = new ArrayList<>();
        lines.add("# size ladder " + java.time.Instant.now() + ", "
                + Runtime.getRuntime().availableProcessors()
                + " cores, intra-op threads " + System.getProperty("ai.djl.pytorch.num_threads") + ", " + dtype + " on "
                + device);
        lines.add("| shape | params | load s | RSS after load GiB | load peak GiB | tokens | forward s | attribution s "
                + "| faithfulness s | ratio attr/fwd | ratio faith/attr | attribution peak GiB "
                + "| first zeroed (top/random) | Δℓ |");
        lines.add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        print(lines);
        try (AttributionEngine engine = new AttributionEngine(4)) {
            for (String name : System.getProperty("bench.shapes", "qwen3-0.6b,qwen3-1.7b,olmo2-1b")
                    .split(",")) {
                RealShapes.Shape shape = RealShapes.byName(name);
                long w0 = System.nanoTime();
                Path dir = RealShapes.write(
                        shape, scratch.resolve(name), 1L << 30, shape.vocab() == 151936 ? tokenizer : null, 7);
                System.out.printf("checkpoint %s ready in %.1f s (%s)%n", name, (System.nanoTime() - w0) / 1e9, dir);
                System.gc();
                resetPeak();
                long l0 = System.nanoTime();
                try (LanguageModel model = ModelLoader.load(dir, dtype, device)) {
                    double loadS = (System.nanoTime() - l0) / 1e9;
                    double loadPeak = peakGb();
                    double afterLoad = rssGb();
                    Random rnd = new Random(1);
                    for (int t : lengths) {
                        int[] ids = new int[t];
                        for (int i = 0; i < t; i++) {
                            ids[i] = 1000 + rnd.nextInt(50_000);
                        }
                        double[] fwds = new double[runs];
                        double[] attrs = new double[runs];
                        double[] faiths = new double[runs];
                        double peak = 0;
                        double diff = 0;
                        String firstZeroed = "";
                        for (int r = 0; r < runs; r++) {
                            long f0 = System.nanoTime();
                            engine.logitsAt(model, ids, t - 1);
                            fwds[r] = (System.nanoTime() - f0) / 1e9;
                            resetPeak();
                            long a0 = System.nanoTime();
                            Attribution a = engine.attribute(
                                    model,
                                    new AttributionRequest(
                                            ids, t - 1, 11, 13, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, 0L, 0.0, 5));
                            double total = (System.nanoTime() - a0) / 1e9;
                            peak = Math.max(peak, peakGb());
                            double f = a.timingsMs().getOrDefault("faithfulness", 0.0) / 1e3;
                            faiths[r] = f;
                            attrs[r] = total - f;
                            diff = a.logitDiff();
                            firstZeroed = a.faithfulness() == null
                                    ? "-"
                                    : a.faithfulness().topIndices()[0] + "/"
                                            + a.faithfulness().randomIndices()[0];
                            System.out.printf(
                                    "run %d: forward %.2f s, attribution %.2f s, faithfulness %.2f s (%.2f x)%n",
                                    r, fwds[r], attrs[r], faiths[r], faiths[r] / attrs[r]);
                        }
                        double fwd = median(fwds);
                        double attr = median(attrs);
                        double faith = median(faiths);
                        String line = String.format(
                                "| %s | %.2fB | %.1f | %.2f | %.2f | %d | %.2f | %.2f | %.2f | %.2f "
                                        + "| %.2f | %.2f | %s | %.3f |",
                                name,
                                shape.parameters() / 1e9,
                                loadS,
                                afterLoad,
                                loadPeak,
                                t,
                                fwd,
                                attr,
                                faith,
                                attr / fwd,
                                faith / attr,
                                peak,
                                firstZeroed,
                                diff);
                        lines.add(line);
                        print(List.of(line));
                    }
                }
            }
        }
        Path out = Path.of("target/size-ladder.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, lines, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** The median of {@code xs} (the mean of the middle two for an even count). */
    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void print(List<String> lines) {
        lines.forEach(System.out::println);
    }

    static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            System.out.println("cannot reset the RSS high-water mark: " + e.getMessage());
        }
    }

    static double peakGb() {
        return status("VmHWM");
    }

    static double rssGb() {
        return status("VmRSS");
    }

    private static double status(String key) {
        try {
            Matcher m = Pattern.compile(key + ":\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc/self/status")));
            return m.find() ? Long.parseLong(m.group(1)) / 1024.0 / 1024.0 : Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        }
    }
}
