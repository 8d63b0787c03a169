package dev.faultline.demo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Trains {@link DemoLlama} on {@link AdditionSuite} with DJL autograd and a hand-written AdamW (decoupled weight decay
 * on matrices, linear warm-up then cosine decay, global-norm clipping), then measures greedy exact-match accuracy on
 * the held-out split. Everything random is seeded, so the same options give the same model on the same libtorch.
 */
public final class DemoTrainer {

    /**
     * Training options.
     *
     * @param evalCount held-out problems for the accuracy table
     */
    public record Options(
            long seed,
            int steps,
            int batchSize,
            double learningRate,
            int warmupSteps,
            double weightDecay,
            double beta1,
            double beta2,
            double clipNorm,
            int minDigits,
            int maxDigits,
            int evalCount,
            int logEvery) {

        /** The recipe of the bundled model. */
        public static Options standard(long seed, int steps) {
            return new Options(seed, steps, 64, 3e-3, 100, 0.1, 0.9, 0.98, 1.0, 2, 6, 2000, 100);
        }
    }

    /** Accuracy of one operand-length bucket (length of the longer operand). */
    public record Bucket(int digits, int total, int correct) {

        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }
    }

    /** Greedy exact-match accuracy on held-out problems, overall and per bucket. */
    public record Evaluation(int total, int correct, List<Bucket> buckets) {

        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }
    }

    /** What a training run did. */
    public record Report(long parameters, List<Double> lossCurve, double trainSeconds, Evaluation evaluation) {}

    private final Options options;
    private final Consumer<String> log;

    public DemoTrainer(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    /** Trains {@code model} in place and evaluates it; {@code lossCurve} holds the mean loss of each logged interval. */
    public Report train(DemoLlama model) {
        AdditionSuite suite = new AdditionSuite(options.minDigits(), options.maxDigits());
        Random random = new Random(options.seed());
        NDManager manager = model.parameters().values().iterator().next().getManager();
        Map<String, NDArray> params = model.parameters();
        List<NDArray[]> state = new ArrayList<>();
        for (NDArray p : params.values()) {
            state.add(new NDArray[] {manager.zeros(p.getShape()), manager.zeros(p.getShape())});
        }
        List<Double> curve = new ArrayList<>();
        double intervalLoss = 0;
        int intervalSteps = 0;
        // libtorch's grad mode is per thread and on by default; DJL turns it off only on the thread that first loaded
        // the engine. The optimiser updates parameters in place, which libtorch refuses on leaves under grad mode.
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        long start = System.nanoTime();
        for (int step = 1; step <= options.steps(); step++) {
            List<AdditionProblem> batch = new ArrayList<>(options.batchSize());
            for (int i = 0; i < options.batchSize(); i++) {
                batch.add(suite.next(random, AdditionSuite.Split.TRAIN));
            }
            double lr = learningRate(step);
            try (NDScope scope = new NDScope()) {
                float loss;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = loss(model, manager, batch);
                    gc.backward(l);
                    loss = l.getFloat();
                }
                update(params, state, step, lr);
                intervalLoss += loss;
                intervalSteps++;
            }
            if (step % options.logEvery() == 0 || step == options.steps()) {
                double mean = intervalLoss / intervalSteps;
                curve.add(mean);
                log.accept(String.format(
                        "step %d/%d loss %.4f lr %.2e %.1fs",
                        step, options.steps(), mean, lr, (System.nanoTime() - start) / 1e9));
                intervalLoss = 0;
                intervalSteps = 0;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        state.forEach(s -> {
            s[0].close();
            s[1].close();
        });
        Evaluation evaluation = evaluate(model, suite, options.seed() + 1_000_003L, options.evalCount());
        return new Report(model.parameterCount(), curve, seconds, evaluation);
    }

    /** Linear warm-up to the peak rate, then cosine decay to 0 at the last step. */
    double learningRate(int step) {
        if (step <= options.warmupSteps()) {
            return options.learningRate() * step / options.warmupSteps();
        }
        double progress =
                (double) (step - options.warmupSteps()) / Math.max(1, options.steps() - options.warmupSteps());
        return options.learningRate() * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    }

    /** Mean cross-entropy over the answer tokens and the closing EOS of each sequence. */
    static NDArray loss(DemoLlama model, NDManager manager, List<AdditionProblem> batch) {
        List<int[]> seqs = new ArrayList<>();
        List<Integer> promptLengths = new ArrayList<>();
        int longest = 0;
        for (AdditionProblem p : batch) {
            int[] prompt = DemoVocabulary.encode(p.prompt());
            int[] answer = DemoVocabulary.encode(p.answer());
            int[] seq = new int[prompt.length + answer.length + 2];
            seq[0] = DemoVocabulary.BOS_ID;
            System.arraycopy(prompt, 0, seq, 1, prompt.length);
            System.arraycopy(answer, 0, seq, 1 + prompt.length, answer.length);
            seq[seq.length - 1] = DemoVocabulary.EOS_ID;
            seqs.add(seq);
            promptLengths.add(prompt.length);
            longest = Math.max(longest, seq.length);
        }
        int b = batch.size();
        int t = longest - 1;
        long[] input = new long[b * t];
        long[] target = new long[b * t];
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++) {
            int[] seq = seqs.get(i);
            for (int j = 0; j < t; j++) {
                input[i * t + j] = j < seq.length ? seq[j] : DemoVocabulary.PAD_ID;
                target[i * t + j] = j + 1 < seq.length ? seq[j + 1] : DemoVocabulary.PAD_ID;
                // position j predicts seq[j+1]; the answer starts at seq index 1 + promptLength
                mask[i * t + j] = j + 1 >= 1 + promptLengths.get(i) && j + 1 < seq.length ? 1f : 0f;
            }
        }
        NDArray ids = manager.create(input, new Shape(b, t));
        NDArray targets =
                manager.create(target, new Shape(b, t)).oneHot(model.config().vocabSize(), DataType.FLOAT32);
        NDArray weights = manager.create(mask, new Shape(b, t));
        NDArray logProbs = model.forward(ids).logSoftmax(-1);
        NDArray picked = logProbs.mul(targets).sum(new int[] {-1});
        return picked.mul(weights).sum().div(weights.sum()).neg();
    }

    private void update(Map<String, NDArray> params, List<NDArray[]> state, int step, double lr) {
        List<NDArray> grads = new ArrayList<>();
        double norm2 = 0;
        for (NDArray p : params.values()) {
            NDArray g = p.getGradient();
            grads.add(g);
            norm2 += g.square().sum().getFloat();
        }
        double norm = Math.sqrt(norm2);
        double scale = norm > options.clipNorm() ? options.clipNorm() / norm : 1.0;
        double b1 = options.beta1();
        double b2 = options.beta2();
        double c1 = 1 - Math.pow(b1, step);
        double c2 = 1 - Math.pow(b2, step);
        int i = 0;
        for (NDArray p : params.values()) {
            NDArray g = grads.get(i).mul(scale);
            NDArray m = state.get(i)[0];
            NDArray v = state.get(i)[1];
            m.muli(b1).addi(g.mul(1 - b1));
            v.muli(b2).addi(g.square().mul(1 - b2));
            NDArray stepDir = m.div(c1).div(v.div(c2).sqrt().add(1e-8));
            if (p.getShape().dimension() == 2) {
                p.muli(1 - lr * options.weightDecay());
            }
            p.subi(stepDir.mul(lr));
            // DJL gradients accumulate across backward passes: zero them for the next step
            NDArray raw = grads.get(i);
            raw.subi(raw);
            i++;
        }
    }

    /** Greedy exact-match accuracy on {@code count} held-out problems drawn with {@code seed}. */
    public static Evaluation evaluate(DemoLlama model, AdditionSuite suite, long seed, int count) {
        List<AdditionProblem> problems = suite.sample(seed, count, AdditionSuite.Split.HELD_OUT);
        List<String> outputs =
                generate(model, problems.stream().map(AdditionProblem::prompt).toList(), suite.maxDigits() + 2);
        Map<Integer, int[]> buckets = new TreeMap<>();
        int correct = 0;
        for (int i = 0; i < problems.size(); i++) {
            AdditionProblem p = problems.get(i);
            boolean ok = p.answer().equals(outputs.get(i));
            int[] c = buckets.computeIfAbsent(p.maxDigits(), k -> new int[2]);
            c[0]++;
            if (ok) {
                c[1]++;
                correct++;
            }
        }
        List<Bucket> list = new ArrayList<>();
        buckets.forEach((k, c) -> list.add(new Bucket(k, c[0], c[1])));
        return new Evaluation(problems.size(), correct, list);
    }

    /**
     * Greedy continuations of {@code prompts} (BOS prepended), at most {@code maxNewTokens} tokens each, stopping at
     * EOS; special tokens are dropped from the returned text.
     */
    public static List<String> generate(DemoLlama model, List<String> prompts, int maxNewTokens) {
        String[] out = new String[prompts.size()];
        Map<Integer, List<Integer>> byLength = new TreeMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            byLength.computeIfAbsent(prompts.get(i).length(), k -> new ArrayList<>())
                    .add(i);
        }
        NDManager manager = model.parameters().values().iterator().next().getManager();
        for (List<Integer> group : byLength.values()) {
            int n = group.size();
            List<List<Integer>> seqs = new ArrayList<>();
            for (int idx : group) {
                List<Integer> seq = new ArrayList<>();
                seq.add(DemoVocabulary.BOS_ID);
                for (int id : DemoVocabulary.encode(prompts.get(idx))) {
                    seq.add(id);
                }
                seqs.add(seq);
            }
            boolean[] done = new boolean[n];
            StringBuilder[] text = new StringBuilder[n];
            for (int i = 0; i < n; i++) {
                text[i] = new StringBuilder();
            }
            for (int s = 0; s < maxNewTokens; s++) {
                int t = seqs.get(0).size();
                if (t > model.config().maxPositions()) {
                    break;
                }
                long[] ids = new long[n * t];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < t; j++) {
                        ids[i * t + j] = seqs.get(i).get(j);
                    }
                }
                long[] next;
                try (NDScope scope = new NDScope()) {
                    NDArray logits = model.forward(manager.create(ids, new Shape(n, t)));
                    next = logits.get(":, -1, :").argMax(-1).toLongArray();
                }
                boolean all = true;
                for (int i = 0; i < n; i++) {
                    seqs.get(i).add((int) next[i]);
                    if (!done[i]) {
                        if (next[i] == DemoVocabulary.EOS_ID) {
                            done[i] = true;
                        } else {
                            text[i].append(DemoVocabulary.text((int) next[i]));
                        }
                    }
                    all &= done[i];
                }
                if (all) {
                    break;
                }
            }
            for (int i = 0; i < n; i++) {
                out[group.get(i)] = text[i].toString();
            }
        }
        return List.of(out);
    }
}
