package dev.faultline.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Attribution time against forward time on a random Llama sized like TinyStories-260K with 4,096 positions
 * (goal: attribution ≤ 3 × forward). Peak resident memory (VmHWM) of each forked JVM is printed at tear-down.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xmx2g",
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_threads=1",
            "-Dai.djl.pytorch.num_interop_threads=1"
        })
public class AttributionBenchmark {

    @Param({"64", "512", "2048"})
    public int tokens;

    private Path dir;
    private LanguageModel model;
    private AttributionEngine engine;
    private int[] ids;
    private AttributionRequest request;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("faultline-bench");
        RandomCheckpoint.tinyStoriesLike(4096).write(dir);
        model = ModelLoader.load(
                dir,
                DType.FLOAT32,
                Device.parse(System.getProperty("faultline.bench.device", "cpu")),
                Long.MAX_VALUE,
                EngineOptions.from(System::getProperty));
        engine = new AttributionEngine(4);
        Random r = new Random(1);
        ids = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = r.nextInt(512);
        }
        ids[0] = 1;
        // no faithfulness check: one forward + one backward, the quantity the 3x goal is about
        request = new AttributionRequest(ids, -1, 17, 42, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 0, 0L, 0.0, 10);
    }

    @Benchmark
    public double forward() {
        return engine.logitsAt(model, ids, -1)[17];
    }

    @Benchmark
    public double attribute() {
        return engine.attribute(model, request).logitDiff();
    }

    @Benchmark
    public double attributeWithFaithfulness() {
        return engine.attribute(
                        model,
                        new AttributionRequest(ids, -1, 17, 42, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, 0L, 0.0, 10))
                .logitDiff();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        model.close();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM") || line.startsWith("VmRSS")) {
                System.out.println("MEMORY tokens=" + tokens + " " + line.replaceAll("\\s+", " "));
            }
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }
}
