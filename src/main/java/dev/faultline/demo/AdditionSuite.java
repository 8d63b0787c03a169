package dev.faultline.demo;

import dev.faultline.contract.EvalOutput;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The demo benchmark: multi-digit addition with every number written least-significant digit first (347 + 85 is
 * {@code 743+58=}, answered {@code 234}), with
 * seeded generation, a fixed train/held-out split, and conversion of a model's answer into a v1 event whose segments
 * outline the operands and, for a wrong answer, the digits that cause it.
 */
public final class AdditionSuite {

    /** The benchmark name carried by events. */
    public static final String BENCHMARK = "faultline-demo-addition";

    /** Which side of the fixed split a problem is drawn from. */
    public enum Split {
        TRAIN,
        HELD_OUT
    }

    private final int minDigits;
    private final int maxDigits;

    /** A suite whose operands have {@code minDigits..maxDigits} digits (each length equally likely, per operand). */
    public AdditionSuite(int minDigits, int maxDigits) {
        if (minDigits < 1 || maxDigits < minDigits || maxDigits > 18) {
            throw new IllegalArgumentException(
                    "need 1 <= minDigits <= maxDigits <= 18, got " + minDigits + ".." + maxDigits);
        }
        this.minDigits = minDigits;
        this.maxDigits = maxDigits;
    }

    public int minDigits() {
        return minDigits;
    }

    public int maxDigits() {
        return maxDigits;
    }

    /**
     * Whether a problem belongs to the held-out set: about one in ten of all operand pairs, by a fixed hash, so a
     * model trained on {@link Split#TRAIN} has never seen a held-out pair.
     */
    public static boolean isHeldOut(AdditionProblem p) {
        long h = 0x9E3779B97F4A7C15L;
        for (char c : p.prompt().toCharArray()) {
            h = (h ^ c) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
        }
        return Math.floorMod(h, 10) == 0;
    }

    /** Draws one problem of {@code split} from {@code random}. */
    public AdditionProblem next(Random random, Split split) {
        while (true) {
            AdditionProblem p = new AdditionProblem(number(random, length(random)), number(random, length(random)));
            if (isHeldOut(p) == (split == Split.HELD_OUT)) {
                return p;
            }
        }
    }

    /** {@code count} distinct problems of {@code split}, the same list for the same seed. */
    public List<AdditionProblem> sample(long seed, int count, Split split) {
        Random random = new Random(seed);
        Set<AdditionProblem> out = new LinkedHashSet<>();
        int attempts = 0;
        while (out.size() < count) {
            if (++attempts > 100 * count + 1000) {
                throw new IllegalArgumentException(
                        "cannot draw " + count + " distinct problems of " + minDigits + ".." + maxDigits + " digits");
            }
            out.add(next(random, split));
        }
        return new ArrayList<>(out);
    }

    private int length(Random random) {
        return minDigits + random.nextInt(maxDigits - minDigits + 1);
    }

    private static String number(Random random, int digits) {
        StringBuilder sb = new StringBuilder(digits);
        sb.append((char) ('0' + (digits == 1 ? random.nextInt(10) : 1 + random.nextInt(9))));
        for (int i = 1; i < digits; i++) {
            sb.append((char) ('0' + random.nextInt(10)));
        }
        return sb.toString();
    }

    /**
     * The v1 event for {@code output} as the answer to {@code problem}: exact scoring against {@link
     * AdditionProblem#answer()}, the producer's verdict, segments {@code operand_a} and {@code operand_b} and, for a
     * wrong answer, {@code cause_a} / {@code cause_b} (the operand digits of the first wrong answer position and its
     * carry chain) plus an error hint naming that position and the right digit.
     */
    public static EvalOutput toEvent(
            AdditionProblem problem, String output, String runId, EvalOutput.ModelRef model, Instant producedAt) {
        String prompt = problem.prompt();
        List<EvalOutput.Segment> segments = new ArrayList<>();
        int plus = problem.a().length();
        segments.add(new EvalOutput.Segment("operand_a", 0, plus));
        segments.add(new EvalOutput.Segment("operand_b", plus + 1, prompt.length() - 1));
        int wrongAt = problem.firstErrorPosition(output);
        EvalOutput.ErrorHint hint = null;
        if (wrongAt >= 0) {
            AdditionProblem.DigitCause cause = problem.cause(wrongAt);
            if (cause.spanA() != null) {
                segments.add(new EvalOutput.Segment("cause_a", cause.spanA()[0], cause.spanA()[1]));
            }
            if (cause.spanB() != null) {
                segments.add(new EvalOutput.Segment("cause_b", cause.spanB()[0], cause.spanB()[1]));
            }
            String answer = problem.answer();
            if (wrongAt < output.length() && wrongAt < answer.length()) {
                hint = new EvalOutput.ErrorHint(wrongAt, answer.substring(wrongAt, wrongAt + 1));
            }
        }
        String exampleId = problem.exampleId();
        return new EvalOutput(
                EvalOutput.SCHEMA,
                runId + ":" + exampleId,
                runId,
                model,
                BENCHMARK,
                exampleId,
                prompt,
                output,
                List.of(problem.answer()),
                new EvalOutput.Scoring("exact", null),
                wrongAt < 0,
                segments,
                hint,
                producedAt.toString());
    }
}
