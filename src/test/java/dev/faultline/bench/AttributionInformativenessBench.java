package dev.faultline.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.demo.AdditionProblem;
import dev.faultline.demo.AdditionSuite;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.DType;
import dev.faultline.engine.GreedyDecoder;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.TokenizedText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * How informative is the attribution (bench/RESULTS.md)? On the demo model's failures among held-out addition
 * problems, how often the most relevant token lies in the failure's known cause ({@link AdditionProblem#cause}), for
 * contrastive AttnLRP, contrastive gradient x input, single-logit AttnLRP and a uniform random baseline; plus the share
 * marked informative by the faithfulness check. Not a test: runs only with {@code -Dbench=true}:
 * {@code ./mvnw -o -B -q test -Dtest=AttributionInformativenessBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false}
 * (writes {@code target/bench-informativeness.txt}; {@code -Dbench.problems=N}, default 2000).
 */
class AttributionInformativenessBench {

    private static final Path MODEL = Path.of("models/faultline-demo");
    private static final long SEED = 1_000_004L;

    /** One method's tally. */
    private static final class Tally {
        final String name;
        int n;
        double top1;
        double top3;
        int informative;
        int faithfulnessChecked;
        int nConfident;
        /** Where the top-1 token lies: cause, other operand digit, '+', '=', answer prefix. */
        final int[] where = new int[5];

        double top1Confident;

        Tally(String name) {
            this.name = name;
        }
    }

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int count = Integer.getInteger("bench.problems", 2000);
        List<AdditionProblem> problems = new AdditionSuite(2, 6).sample(SEED, count, AdditionSuite.Split.HELD_OUT);
        Map<String, Tally> tallies = new LinkedHashMap<>();
        for (String m : List.of(
                "contrastive AttnLRP",
                "contrastive gradient×input",
                "single-logit AttnLRP (wrong only)",
                "random (uniform over eligible tokens)")) {
            tallies.put(m, new Tally(m));
        }
        int failures = 0;
        int wrongLength = 0;
        long t0 = System.nanoTime();
        List<Integer> failingIndices = new ArrayList<>();
        List<Integer> confidentIndices = new ArrayList<>();
        try (LanguageModel model = ModelLoader.load(MODEL, DType.FLOAT32, "cpu");
                AttributionEngine engine = new AttributionEngine(4)) {
            for (int k = 0; k < problems.size(); k++) {
                AdditionProblem p = problems.get(k);
                String out = greedy(engine, model, p.prompt());
                int at = p.firstErrorPosition(out);
                if (at < 0) {
                    continue;
                }
                failures++;
                failingIndices.add(k);
                String ref = p.answer();
                if (at >= out.length() || at >= ref.length()) {
                    wrongLength++; // no wrong digit to contrast (answer too short or too long)
                    continue;
                }
                String prompt = p.prompt();
                TokenizedText t = model.tokenizer().encode(prompt + out.substring(0, at), true);
                int wrong = model.tokenizer().tokenId(out.substring(at, at + 1));
                int correct = model.tokenizer().tokenId(ref.substring(at, at + 1));
                AdditionProblem.DigitCause cause = p.cause(at);
                List<Integer> eligible = new ArrayList<>();
                for (int i = 1; i < t.size(); i++) {
                    if (!t.special()[i]) {
                        eligible.add(i);
                    }
                }
                boolean[] inCause = new boolean[t.size()];
                int causeCount = 0;
                for (int i : eligible) {
                    inCause[i] = t.starts()[i] < prompt.length() && cause.contains(t.starts()[i]);
                    causeCount += inCause[i] ? 1 : 0;
                }
                Attribution contrast = engine.attribute(
                        model,
                        new AttributionRequest(
                                t.ids(), -1, wrong, correct, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, k, 0.0, 10));
                Attribution gxi = engine.attribute(
                        model,
                        new AttributionRequest(
                                t.ids(), -1, wrong, correct, Method.GRADXINPUT, SoftmaxRule.ATTNLRP, 5, k, 0.0, 10));
                Attribution single = engine.attribute(
                        model,
                        new AttributionRequest(
                                t.ids(), -1, wrong, null, Method.ATTNLRP, SoftmaxRule.ATTNLRP, 5, k, 0.0, 10));
                boolean confident = contrast.logitDiff() > 1.0; // what the pipeline attributes (min-logit-diff)
                if (confident) {
                    confidentIndices.add(k);
                }
                Attribution[] as = {contrast, gxi, single};
                int m = 0;
                for (Tally tally : tallies.values()) {
                    double h1;
                    double h3;
                    if (m < 3) {
                        Attribution a = as[m];
                        List<Integer> ranked = eligible.stream()
                                .sorted(Comparator.comparingDouble((Integer i) -> a.inputRelevance()[i])
                                        .reversed())
                                .toList();
                        h1 = inCause[ranked.get(0)] ? 1 : 0;
                        int top = ranked.get(0);
                        int c = t.starts()[top];
                        tally.where[
                                inCause[top]
                                        ? 0
                                        : c >= prompt.length()
                                                ? 4
                                                : prompt.charAt(c) == '+' ? 2 : prompt.charAt(c) == '=' ? 3 : 1]++;
                        h3 = ranked.stream().limit(3).anyMatch(i -> inCause[i]) ? 1 : 0;
                        if (a.faithfulness() != null) {
                            tally.faithfulnessChecked++;
                            tally.informative += a.faithfulness().informative() ? 1 : 0;
                        }
                    } else {
                        int n = eligible.size();
                        h1 = (double) causeCount / n;
                        h3 = 1 - choose(n - causeCount, 3) / choose(n, 3);
                    }
                    tally.n++;
                    tally.top1 += h1;
                    tally.top3 += h3;
                    if (confident) {
                        tally.nConfident++;
                        tally.top1Confident += h1;
                    }
                    m++;
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        StringBuilder r = new StringBuilder();
        r.append(String.format(
                Locale.ROOT,
                "%d held-out problems (seed %d), %d failures, %d of them with a wrong digit"
                        + " (attributed), %d of the wrong length; %.1f s%n",
                count,
                SEED,
                failures,
                failures - wrongLength,
                wrongLength,
                seconds));
        r.append(
                "| method | top-1 in cause | top-3 in cause | top-1 in cause, Δℓ > 1 only | informative (faithfulness k=5) |\n");
        r.append("|---|---:|---:|---:|---:|\n");
        for (Tally t : tallies.values()) {
            r.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f %% | %.1f %% | %.1f %% (n=%d) | %s |%n",
                    t.name,
                    100 * t.top1 / t.n,
                    100 * t.top3 / t.n,
                    100 * t.top1Confident / Math.max(1, t.nConfident),
                    t.nConfident,
                    t.faithfulnessChecked == 0
                            ? "–"
                            : String.format(
                                    Locale.ROOT,
                                    "%.1f %% (%d/%d)",
                                    100.0 * t.informative / t.faithfulnessChecked,
                                    t.informative,
                                    t.faithfulnessChecked)));
        }
        r.append("\nwhere the top-1 token lies | in cause | other operand digit | '+' | '=' | answer prefix |\n");
        r.append("|---|---:|---:|---:|---:|---:|\n");
        for (Tally t : tallies.values()) {
            if (t.where[0] + t.where[1] + t.where[2] + t.where[3] + t.where[4] > 0) {
                r.append("| ").append(t.name);
                for (int w : t.where) {
                    r.append(String.format(Locale.ROOT, " | %.1f %%", 100.0 * w / t.n));
                }
                r.append(" |\n");
            }
        }
        r.append("failing problem indices < 200: ")
                .append(failingIndices.stream().filter(i -> i < 200).toList())
                .append('\n');
        r.append("failing problem indices with Δℓ > 1, < 400: ")
                .append(confidentIndices.stream().filter(i -> i < 400).toList())
                .append('\n');
        System.out.println(r);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/bench-informativeness.txt"), r.toString());
    }

    private static double choose(int n, int k) {
        if (k > n) {
            return 0;
        }
        return IntStream.range(0, k)
                .mapToDouble(i -> (double) (n - i) / (k - i))
                .reduce(1, (a, b) -> a * b);
    }

    private static String greedy(AttributionEngine engine, LanguageModel model, String prompt)
            throws InterruptedException {
        return GreedyDecoder.continuation(model.tokenizer(), prompt, 8, ids -> engine.logitsAt(model, ids, -1));
    }
}
