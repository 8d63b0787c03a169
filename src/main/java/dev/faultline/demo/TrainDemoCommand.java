package dev.faultline.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.ndarray.NDManager;

/**
 * {@code train-demo}: trains the demo model and writes it in Hugging Face layout, with {@code training.json} (options,
 * wall time, loss curve, held-out accuracy per operand length).
 */
public final class TrainDemoCommand {

    private TrainDemoCommand() {
    }

    static void usage(PrintStream out) {
        out.println("usage: train-demo --out DIR [--seed 1] [--steps 1300] [--batch 64] [--lr 3e-3] [--warmup 100]"
                + " [--min-digits 2] [--max-digits 6] [--eval 2000] [--threads 1]"
                + " [--hidden 64 --layers 2 --heads 4 --kv-heads 2 --ffn 176]");
    }

    /** Runs the command; returns the exit code (2 for bad arguments). */
    public static int run(String... args) {
        Map<String, String> opts = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("train-demo: expected --option value, got " + args[i]);
                usage(System.err);
                return 2;
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        if (!opts.containsKey("out")) {
            System.err.println("train-demo: --out DIR is required");
            usage(System.err);
            return 2;
        }
        try {
            return train(opts);
        } catch (IllegalArgumentException e) {
            System.err.println("train-demo: " + e.getMessage());
            usage(System.err);
            return 2;
        } catch (IOException e) {
            System.err.println("train-demo: cannot write model: " + e.getMessage());
            return 1;
        }
    }

    private static int train(Map<String, String> o) throws IOException {
        Path out = Path.of(o.remove("out"));
        String threads = o.getOrDefault("threads", "1");
        o.remove("threads");
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        long seed = Long.parseLong(take(o, "seed", "1"));
        DemoTrainer.Options std = DemoTrainer.Options.standard(seed, Integer.parseInt(take(o, "steps", "1300")));
        DemoTrainer.Options options = new DemoTrainer.Options(seed, std.steps(),
                Integer.parseInt(take(o, "batch", "" + std.batchSize())),
                Double.parseDouble(take(o, "lr", "" + std.learningRate())),
                Integer.parseInt(take(o, "warmup", "" + std.warmupSteps())), std.weightDecay(), std.beta1(),
                std.beta2(), std.clipNorm(), Integer.parseInt(take(o, "min-digits", "" + std.minDigits())),
                Integer.parseInt(take(o, "max-digits", "" + std.maxDigits())),
                Integer.parseInt(take(o, "eval", "" + std.evalCount())),
                Integer.parseInt(take(o, "log-every", "" + std.logEvery())));
        DemoModelConfig s = DemoModelConfig.standard();
        int maxPositions = Math.max(s.maxPositions(), 3 * options.maxDigits() + 6);
        DemoModelConfig config = new DemoModelConfig(s.vocabSize(), Integer.parseInt(take(o, "hidden", "" + s.hiddenSize())),
                Integer.parseInt(take(o, "layers", "" + s.numLayers())),
                Integer.parseInt(take(o, "heads", "" + s.numHeads())),
                Integer.parseInt(take(o, "kv-heads", "" + s.numKvHeads())),
                Integer.parseInt(take(o, "ffn", "" + s.intermediateSize())), maxPositions, s.ropeTheta(),
                s.rmsNormEps());
        if (!o.isEmpty()) {
            throw new IllegalArgumentException("unknown option(s): " + o.keySet());
        }
        if (options.steps() < 1 || options.batchSize() < 1 || options.evalCount() < 1) {
            throw new IllegalArgumentException("--steps, --batch and --eval must be positive");
        }
        try (NDManager manager = NDManager.newBaseManager(); DemoLlama model = new DemoLlama(config, manager, seed)) {
            System.out.printf("train-demo: %d parameters, %d steps of %d, seed %d, %s threads%n",
                    model.parameterCount(), options.steps(), options.batchSize(), seed, threads);
            DemoTrainer.Report report = new DemoTrainer(options, System.out::println).train(model);
            model.save(out);
            writeReport(out, config, options, report, threads);
            System.out.printf("train-demo: trained in %.1f s; held-out exact match %.1f %% (%d/%d)%n",
                    report.trainSeconds(), 100 * report.evaluation().accuracy(), report.evaluation().correct(),
                    report.evaluation().total());
            for (DemoTrainer.Bucket b : report.evaluation().buckets()) {
                System.out.printf("  %d digits: %.1f %% (%d/%d)%n", b.digits(), 100 * b.accuracy(), b.correct(),
                        b.total());
            }
            System.out.println("train-demo: wrote " + out);
        }
        return 0;
    }

    private static String take(Map<String, String> o, String key, String def) {
        String v = o.remove(key);
        return v == null ? def : v;
    }

    private static void writeReport(Path out, DemoModelConfig config, DemoTrainer.Options options,
            DemoTrainer.Report report, String threads) throws IOException {
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
            buckets.addObject().put("digits", b.digits()).put("total", b.total()).put("correct", b.correct())
                    .put("exact_match", b.accuracy());
        }
        json.writeValue(out.resolve("training.json").toFile(), root);
    }
}
