package dev.faultline.triage;

import com.google.re2j.Matcher;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.math.BigDecimal;
import java.util.List;

/**
 * Scores one event into a verdict. A producer-given {@code correct} wins. Otherwise the output (its
 * {@code extracted_answer} when the event has one) is compared with each
 * reference under {@code scoring.method} (default: the configured one); any match is CORRECT. UNSCORABLE (with a
 * reason) when the event cannot be judged: no references, an unknown method, a regex that does not compile or needs
 * what the linear-time RE2 matcher lacks (backreferences, lookaround; see {@link UserPatterns}), a
 * reference without a number (numeric) or letter (choice), a regex match that runs past its time budget. An output without a number, a choice letter, or a regex
 * match is INCORRECT (the model did not give an answer in the asked form), with the reason saying so. Thread-safe.
 */
public final class AnswerScorer {

    /** The time budget of one {@code scoring.pattern} match when none is configured. */
    public static final java.time.Duration DEFAULT_PATTERN_BUDGET = java.time.Duration.ofMillis(50);

    private final ScoringMethod defaultMethod;
    private final java.time.Duration patternBudget;
    private final UserPatterns patterns = new UserPatterns();

    public AnswerScorer(ScoringMethod defaultMethod) {
        this(defaultMethod, DEFAULT_PATTERN_BUDGET);
    }

    /** {@code patternBudget}: how long one regex match may take before the event is UNSCORABLE (zero: no limit). */
    public AnswerScorer(ScoringMethod defaultMethod, java.time.Duration patternBudget) {
        this.defaultMethod = defaultMethod == null ? ScoringMethod.NORMALIZED : defaultMethod;
        this.patternBudget = patternBudget;
    }

    /** Scores {@code event}. */
    public ScoredEvent score(EvalOutput event) {
        if (event.correct() != null) {
            return new ScoredEvent(
                    event, event.correct() ? Verdict.CORRECT : Verdict.INCORRECT, null, "producer verdict");
        }
        List<String> refs = event.references();
        if (refs == null || refs.isEmpty()) {
            return unscorable(event, "no references and no producer verdict");
        }
        String methodName = event.scoring() == null ? null : event.scoring().method();
        ScoringMethod method = methodName == null ? defaultMethod : ScoringMethod.parse(methodName);
        if (method == null) {
            return unscorable(event, "unknown scoring method '" + methodName + "'");
        }
        String output = event.output() == null ? "" : event.output();
        if (event.extractedAnswer() != null) {
            // a harness filter already took the answer out of the response: that is what is compared
            output = event.extractedAnswer();
            if (method == ScoringMethod.REGEX) {
                return extracted(event, output, refs);
            }
        }
        return switch (method) {
            case EXACT -> exact(event, output, refs);
            case NORMALIZED -> normalized(event, output, refs);
            case NUMERIC -> numeric(event, output, refs);
            case CHOICE -> choice(event, output, refs);
            case CONTAINS -> contains(event, output, refs);
            case REGEX -> regex(event, output, refs);
        };
    }

    private static ScoredEvent exact(EvalOutput e, String output, List<String> refs) {
        String answer = output.strip();
        for (String ref : refs) {
            if (ref != null && answer.equals(ref.strip())) {
                return correct(e, answer);
            }
        }
        return incorrect(e, answer, "output differs from every reference");
    }

    private static ScoredEvent normalized(EvalOutput e, String output, List<String> refs) {
        String answer = TextNormalizer.normalize(output);
        for (String ref : refs) {
            if (answer.equals(TextNormalizer.normalize(ref))) {
                return correct(e, answer);
            }
        }
        return incorrect(e, answer, "normalized output differs from every normalized reference");
    }

    private static ScoredEvent numeric(EvalOutput e, String output, List<String> refs) {
        BigDecimal answer = AnswerExtraction.lastNumber(output);
        boolean anyReference = false;
        for (String ref : refs) {
            BigDecimal expected = AnswerExtraction.referenceNumber(ref);
            if (expected == null) {
                continue;
            }
            anyReference = true;
            if (answer != null && answer.compareTo(expected) == 0) {
                return correct(e, answer.toPlainString());
            }
        }
        if (!anyReference) {
            return unscorable(e, "no reference contains a number");
        }
        if (answer == null) {
            return incorrect(e, null, "no number in the output");
        }
        return incorrect(e, answer.toPlainString(), "last number of the output differs from the reference number");
    }

    private static ScoredEvent choice(EvalOutput e, String output, List<String> refs) {
        String answer = AnswerExtraction.choiceLetter(output);
        boolean anyReference = false;
        for (String ref : refs) {
            String expected = AnswerExtraction.referenceLetter(ref);
            if (expected == null) {
                continue;
            }
            anyReference = true;
            if (expected.equals(answer)) {
                return correct(e, answer);
            }
        }
        if (!anyReference) {
            return unscorable(e, "no reference is a choice letter (A-J)");
        }
        if (answer == null) {
            return incorrect(e, null, "no choice letter found in the output");
        }
        return incorrect(e, answer, "chose " + answer + ", not the reference letter");
    }

    private static ScoredEvent contains(EvalOutput e, String output, List<String> refs) {
        String answer = TextNormalizer.normalize(output);
        String padded = " " + answer + " ";
        for (String ref : refs) {
            String r = TextNormalizer.normalize(ref);
            if (!r.isEmpty() && padded.contains(" " + r + " ")) {
                return correct(e, r);
            }
        }
        return incorrect(e, null, "no reference occurs in the output");
    }

    private ScoredEvent regex(EvalOutput e, String output, List<String> refs) {
        String source = e.scoring() == null ? null : e.scoring().pattern();
        if (source == null || source.isEmpty()) {
            return unscorable(e, "scoring.method regex needs scoring.pattern");
        }
        UserPatterns.Compiled compiled = patterns.compile(source);
        if (!compiled.ok()) {
            return unscorable(e, compiled.refusal());
        }
        Matcher m;
        try {
            m = UserPatterns.find(compiled.pattern(), output, patternBudget);
        } catch (UserPatterns.TimeBudgetExceeded slow) {
            return unscorable(e, slow.getMessage() + " (faultline.triage.pattern-budget)");
        }
        if (m == null) {
            return incorrect(e, null, "scoring.pattern does not match the output");
        }
        return extracted(e, m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group(), refs);
    }

    private static ScoredEvent extracted(EvalOutput e, String extracted, List<String> refs) {
        String answer = TextNormalizer.normalize(extracted);
        for (String ref : refs) {
            if (answer.equals(TextNormalizer.normalize(ref))) {
                return correct(e, extracted);
            }
        }
        return incorrect(e, extracted, "extracted answer differs from every reference");
    }

    private static ScoredEvent correct(EvalOutput e, String answer) {
        return new ScoredEvent(e, Verdict.CORRECT, answer, null);
    }

    private static ScoredEvent incorrect(EvalOutput e, String answer, String reason) {
        return new ScoredEvent(e, Verdict.INCORRECT, answer, reason);
    }

    private static ScoredEvent unscorable(EvalOutput e, String reason) {
        return new ScoredEvent(e, Verdict.UNSCORABLE, null, reason);
    }
}
