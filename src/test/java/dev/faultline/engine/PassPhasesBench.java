package dev.faultline.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.faultline.bench.RealShapes;
import dev.faultline.engine.arch.Pass;
import dev.faultline.engine.model.HfLanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Where one attribution's memory goes, measured (bench/RESULTS.md): per phase (load, forward with the rules,
 * backward, read-out, faithfulness) the native bytes malloc holds in use at the phase's start and end and its peak
 * within the phase (sampled every 200 µs, {@link NativeMemory#nativeInUse}), the resident set at its start and
 * its peak (every millisecond), and per tensor kind what DJL's
 * accounting shows at the forward's end (the model's arrays; the pass's probes, leaves and other arrays by shape)
 * and what it does not: the arrays autograd holds for the backward (saved activations, attention weights) are the
 * in-use bytes at the forward's end over those at its start, less the pass's DJL-visible arrays. Not a test: runs
 * only with {@code -Dbench=true}:
 * <pre>
 * ./mvnw -o -B -q test -Dtest=PassPhasesBench -Dbench=true -Dbench.tokens=512 -Dbench.dir=/tmp/faultline-ladder \
 *     -Ddjl.test.threads=1
 * </pre>
 * The checkpoint is the size ladder's Qwen3-0.6B shape ({@link RealShapes}), written on first use.
 */
class PassPhasesBench {

    private static final double MIB = 1 << 20;

    @Test
    void phases() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        Path scratch =
                Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir") + "/faultline-ladder"));
        Path tokenizer = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"), "tokenizers/qwen3");
        RealShapes.Shape shape = RealShapes.byName(System.getProperty("bench.shape", "qwen3-0.6b"));
        int t = Integer.getInteger("bench.tokens", 512);
        Path dir = RealShapes.write(
                shape, scratch.resolve(shape.name()), 1L << 30, shape.vocab() == 151936 ? tokenizer : null, 7);

        NativeMemory.Sampler sampler = new NativeMemory.Sampler();
        sampler.start();
        List<String> lines = new ArrayList<>();
        lines.add("# pass phases " + java.time.Instant.now() + ", " + shape.name() + ", " + t + " tokens, float32, "
                + "intra-op threads " + System.getProperty("ai.djl.pytorch.num_threads"));
        try (AttributionEngine engine = new AttributionEngine(1)) {
            System.gc();
            sampler.phase("load");
            LanguageModel model = ModelLoader.load(dir, DType.FLOAT32, "cpu");
            try (model) {
                sampler.phase("loaded");
                HfLanguageModel m = HfLanguageModel.of(model);
                Random rnd = new Random(1);
                int[] ids = new int[t];
                for (int i = 0; i < t; i++) {
                    ids[i] = 1000 + rnd.nextInt(50_000);
                }
                AttributionRequest request =
                        new AttributionRequest(ids, t - 1, 11, 13, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, 0L, 0.0, 5);
                // warm-up at a quarter of the length: libtorch's own buffers, JIT-compiled code
                engine.attribute(
                        model,
                        new AttributionRequest(
                                java.util.Arrays.copyOf(ids, t / 4),
                                t / 4 - 1,
                                11,
                                13,
                                Method.ATTNLRP,
                                SoftmaxRule.ATTNLRP,
                                5,
                                0L,
                                0.0,
                                5));
                Map<String, Long> kinds = new LinkedHashMap<>();
                List<NDArray> weights = new ArrayList<>();
                Attributor.PhaseListener phases = (name, pm, p) -> {
                    if (name.equals("forward")) { // the model's own arrays: all it holds but the new pass's
                        Map<NDArray, Boolean> ofPass = new IdentityHashMap<>();
                        pm.getManagedArrays().forEach(a -> ofPass.put(a, true));
                        m.manager().getManagedArrays().stream()
                                .filter(a -> !ofPass.containsKey(a))
                                .forEach(weights::add);
                    }
                    if (name.equals("backward")) { // the forward's end: what DJL shows, by kind
                        kinds.putAll(visible(weights, pm, p));
                    }
                    if (name.equals("read-out")) {
                        kinds.put("gradients of the probes and leaves (after the backward)", gradients(p));
                        kinds.put("model arrays that hold a gradient (count)", weightsWithGradient(weights));
                    }
                    sampler.phase(name);
                };
                sampler.phase("idle");
                // on the engine's worker, as engine.attribute runs it, with the listener for this pass alone
                Attribution a = engine.call(() -> Attributor.attribute(m, request, phases));
                sampler.phase("done");
                lines.add("Δℓ " + a.logitDiff() + ", timings ms " + a.timingsMs());
                lines.add("");
                lines.add("| phase | in use at start MiB | peak in phase MiB | peak over start MiB | in use at end MiB "
                        + "| RSS at start MiB | peak RSS in phase MiB |");
                lines.add("|---|---:|---:|---:|---:|---:|---:|");
                List<NativeMemory.Span> spans = sampler.spans();
                for (NativeMemory.Span s : spans) {
                    if (s.name.equals("idle") || s.name.equals("loaded") || s.name.equals("done")) {
                        continue;
                    }
                    lines.add(String.format(
                            "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |",
                            s.name,
                            s.start / MIB,
                            s.peak / MIB,
                            (s.peak - s.start) / MIB,
                            s.end / MIB,
                            s.rssStart / MIB,
                            s.rssPeak / MIB));
                }
                long passStart = spans.stream()
                        .filter(s -> s.name.equals("forward"))
                        .findFirst()
                        .orElseThrow()
                        .start;
                long forwardEnd = spans.stream()
                        .filter(s -> s.name.equals("backward"))
                        .findFirst()
                        .orElseThrow()
                        .start;
                long passVisible = kinds.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("pass:"))
                        .mapToLong(Map.Entry::getValue)
                        .sum();
                kinds.put(
                        "held by autograd for the backward, not in DJL's accounting (in use at the forward's end"
                                + " − at its start − the pass's DJL arrays)",
                        forwardEnd - passStart - passVisible);
                lines.add("");
                lines.add("| tensor kind (at the forward's end unless said) | MiB |");
                lines.add("|---|---:|");
                kinds.forEach((k, v) -> lines.add(
                        k.contains("(count)")
                                ? String.format("| %s | %d |", k, v)
                                : String.format("| %s | %.1f |", k, v / MIB)));
            }
        } finally {
            sampler.stop();
        }
        lines.forEach(System.out::println);
        Path out = Path.of("target/pass-phases.txt");
        Files.createDirectories(out.getParent());
        Files.write(
                out,
                (String.join("\n", lines) + "\n\n").getBytes(),
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /**
     * DJL-visible bytes at the forward's end: the model's arrays, and the pass's by kind (by shape and dtype; the
     * probes' zero leaves are broadcast views with no storage of their own, so they are listed but not summed).
     */
    private static Map<String, Long> visible(List<NDArray> weights, NDManager pm, Pass p) {
        Map<NDArray, String> kindOf = new IdentityHashMap<>();
        tag(kindOf, p.layerInputs, "residual stream");
        tag(kindOf, p.postAttention, "residual stream");
        tag(kindOf, p.queries, "queries");
        tag(kindOf, p.attentionOutputs, "attention outputs");
        for (Pass.BiasLeaf b : p.biases) {
            kindOf.put(b.leaf(), "pass: bias leaves");
        }
        Map<String, Long> out = new LinkedHashMap<>();
        out.put(
                "model: weights (" + weights.size() + " arrays)",
                weights.stream().mapToLong(PassPhasesBench::bytes).sum());
        for (NDArray a : pm.getManagedArrays()) {
            out.merge(
                    kindOf.getOrDefault(
                            a, "pass: other arrays (embeddings, residual sums, masks, RoPE tables, logits row)"),
                    bytes(a),
                    Long::sum);
        }
        return out;
    }

    private static void tag(Map<NDArray, String> kindOf, List<Pass.Probe> probes, String kind) {
        for (Pass.Probe probe : probes) {
            kindOf.put(probe.value(), "pass: probe values, " + kind);
            kindOf.put(probe.leaf(), "view: probe leaves, " + kind + " (broadcast zeros: no storage, not summed)");
        }
    }

    private static long gradients(Pass p) {
        long sum = 0;
        List<Pass.Probe> all = new ArrayList<>(p.layerInputs);
        all.addAll(p.postAttention);
        all.addAll(p.queries);
        all.addAll(p.attentionOutputs);
        for (Pass.Probe probe : all) {
            sum += probe.value().getShape().size() * probe.value().getDataType().getNumOfBytes();
        }
        for (Pass.BiasLeaf b : p.biases) {
            sum += bytes(b.leaf());
        }
        return sum;
    }

    private static long weightsWithGradient(List<NDArray> weights) {
        return weights.stream().filter(NDArray::hasGradient).count();
    }

    private static long bytes(NDArray a) {
        return a.isReleased() ? 0 : a.getShape().size() * a.getDataType().getNumOfBytes();
    }
}
