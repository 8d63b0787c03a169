package dev.faultline.demo;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.cli.Commands;
import dev.faultline.cli.Terminal;
import dev.faultline.cli.Version;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code faultline train-demo}: trains the demo model and writes it in Hugging Face layout, with {@code training.json}
 * (options, wall time, loss curve, held-out accuracy per operand length).
 */
@Command(
        name = "train-demo",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = "Trains the bundled demo model (multi-digit addition) and writes it in Hugging Face layout.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {Commands.EXIT_OK, "1:the model could not be written", Commands.EXIT_USAGE})
public final class TrainDemoCommand implements Callable<Integer> {

    private static final DemoTrainer.Options STANDARD = DemoTrainer.Options.standard(1, 1300);
    private static final DemoModelConfig STANDARD_MODEL = DemoModelConfig.standard();

    @Spec
    CommandSpec spec;

    @Option(names = "--output", paramLabel = "DIR", description = "Directory the model is written to (required).")
    Path output;

    /** {@code --out}: another name for {@code --output}, left out of the usage. */
    @Option(names = "--out", paramLabel = "DIR", hidden = true)
    void out(Path dir) {
        output = dir;
    }

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Seed of the initial weights and the training data (default: ${DEFAULT-VALUE}).")
    long seed = STANDARD.seed();

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = STANDARD.steps();

    @Option(names = "--batch", paramLabel = "N", description = "Problems per step (default: ${DEFAULT-VALUE}).")
    int batch = STANDARD.batchSize();

    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = STANDARD.learningRate();

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup = STANDARD.warmupSteps();

    @Option(
            names = "--min-digits",
            paramLabel = "N",
            description = "Fewest digits of an operand (default: ${DEFAULT-VALUE}).")
    int minDigits = STANDARD.minDigits();

    @Option(
            names = "--max-digits",
            paramLabel = "N",
            description = "Most digits of an operand (default: ${DEFAULT-VALUE}).")
    int maxDigits = STANDARD.maxDigits();

    @Option(
            names = "--eval",
            paramLabel = "N",
            description = "Held-out problems evaluated after training (default: ${DEFAULT-VALUE}).")
    int eval = STANDARD.evalCount();

    @Option(
            names = "--log-every",
            paramLabel = "N",
            description = "Steps between loss lines (default: ${DEFAULT-VALUE}).")
    int logEvery = STANDARD.logEvery();

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "libtorch intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = 1;

    @Option(names = "--hidden", paramLabel = "N", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden = STANDARD_MODEL.hiddenSize();

    @Option(names = "--layers", paramLabel = "N", description = "Transformer layers (default: ${DEFAULT-VALUE}).")
    int layers = STANDARD_MODEL.numLayers();

    @Option(names = "--heads", paramLabel = "N", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads = STANDARD_MODEL.numHeads();

    @Option(names = "--kv-heads", paramLabel = "N", description = "Key/value heads (default: ${DEFAULT-VALUE}).")
    int kvHeads = STANDARD_MODEL.numKvHeads();

    @Option(names = "--ffn", paramLabel = "N", description = "Feed-forward size (default: ${DEFAULT-VALUE}).")
    int ffn = STANDARD_MODEL.intermediateSize();

    private final Terminal terminal;

    public TrainDemoCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() {
        if (output == null) {
            throw Commands.usageError(spec, "--output DIR is required");
        }
        if (steps < 1 || batch < 1 || eval < 1) {
            throw Commands.usageError(spec, "--steps, --batch and --eval must be positive");
        }
        DemoTrainer.Options options = new DemoTrainer.Options(
                seed,
                steps,
                batch,
                lr,
                warmup,
                STANDARD.weightDecay(),
                STANDARD.beta1(),
                STANDARD.beta2(),
                STANDARD.clipNorm(),
                minDigits,
                maxDigits,
                eval,
                logEvery);
        DemoModelConfig s = STANDARD_MODEL;
        int maxPositions = Math.max(s.maxPositions(), 3 * options.maxDigits() + 6);
        DemoModelConfig config;
        try {
            config = new DemoModelConfig(
                    s.vocabSize(), hidden, layers, heads, kvHeads, ffn, maxPositions, s.ropeTheta(), s.rmsNormEps());
        } catch (IllegalArgumentException e) {
            throw Commands.usageError(spec, e.getMessage());
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        try {
            return train(options, config);
        } catch (IllegalArgumentException e) {
            throw Commands.usageError(spec, e.getMessage());
        } catch (IOException e) {
            terminal.err().println("train-demo: cannot write model: " + e.getMessage());
            return Commands.FAILED;
        }
    }

    private int train(DemoTrainer.Options options, DemoModelConfig config) throws IOException {
        PrintStream out = terminal.out();
        try (NDManager manager = NDManager.newBaseManager();
                DemoLlama model = new DemoLlama(config, manager, seed)) {
            out.printf(
                    "train-demo: %d parameters, %d steps of %d, seed %d, %s threads%n",
                    model.parameterCount(), options.steps(), options.batchSize(), seed, threads);
            DemoTrainer.Report report = new DemoTrainer(options, out::println).train(model);
            model.save(output);
            writeReport(output, config, options, report, Integer.toString(threads));
            out.printf(
                    "train-demo: trained in %.1f s; held-out exact match %.1f %% (%d/%d)%n",
                    report.trainSeconds(),
                    100 * report.evaluation().accuracy(),
                    report.evaluation().correct(),
                    report.evaluation().total());
            for (DemoTrainer.Bucket b : report.evaluation().buckets()) {
                out.printf("  %d digits: %.1f %% (%d/%d)%n", b.digits(), 100 * b.accuracy(), b.correct(), b.total());
            }
            out.println("train-demo: wrote " + output);
        }
        return Commands.OK;
    }

    private static void writeReport(
            Path out, DemoModelConfig config, DemoTrainer.Options options, DemoTrainer.Report report, String threads)
            throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("task", AdditionSuite.BENCHMARK);
        root.put("written_at", Instant.now().toString());
        root.set("options", json.valueToTree(options));
        root.set("model", json.valueToTree(config));
        root.put("parameters", report.parameters());
        root.put("threads", threads);
        root.put("train_seconds", Math.round(report.trainSeconds() * 10) / 10.0);
        ArrayNode curve = root.putArray("loss_curve");
        report.lossCurve().forEach(l -> curve.add(Math.round(l * 10000) / 10000.0));
        ObjectNode eval = root.putObject("held_out");
        eval.put("seed", options.seed() + 1_000_003L);
        eval.put("total", report.evaluation().total());
        eval.put("correct", report.evaluation().correct());
        eval.put("exact_match", report.evaluation().accuracy());
        ArrayNode buckets = eval.putArray("by_max_operand_digits");
        for (DemoTrainer.Bucket b : report.evaluation().buckets()) {
            buckets.addObject()
                    .put("digits", b.digits())
                    .put("total", b.total())
                    .put("correct", b.correct())
                    .put("exact_match", b.accuracy());
        }
        json.writeValue(out.resolve("training.json").toFile(), root);
    }
}
