package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class AnswerScorerTest {

    private final AnswerScorer scorer = new AnswerScorer(ScoringMethod.NORMALIZED);

    static EvalOutput event(String method, String pattern, String output, Boolean correct, String... refs) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                "e1",
                "run",
                new EvalOutput.ModelRef("m", "r", null),
                "bench",
                "x/1",
                "prompt",
                output,
                refs.length == 0 ? null : List.of(refs),
                method == null ? null : new EvalOutput.Scoring(method, pattern),
                correct,
                null,
                null,
                null);
    }

    private Verdict verdict(String method, String output, String... refs) {
        return scorer.score(event(method, null, output, null, refs)).verdict();
    }

    @Test
    void exactMatchesOnlyIdenticalTextApartFromOuterWhitespace() {
        assertThat(verdict("exact", " Paris\n", "Paris")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("exact", "paris", "Paris")).isEqualTo(Verdict.INCORRECT);
        assertThat(verdict("exact", "Paris.", "Paris")).isEqualTo(Verdict.INCORRECT);
    }

    @Test
    void normalizedIgnoresCaseArticlesPunctuationAndWhitespace() {
        assertThat(verdict("normalized", "  The  Eiffel tower!", "eiffel Tower"))
                .isEqualTo(Verdict.CORRECT);
        assertThat(verdict("normalized", "A cat.", "the cat")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("normalized", "The Louvre", "Eiffel Tower")).isEqualTo(Verdict.INCORRECT);
        assertThat(TextNormalizer.normalize("  The Dog's   bone, an apple!")).isEqualTo("dogs bone apple");
    }

    @Test
    void numericComparesLastNumberWithGsm8kReference() {
        assertThat(verdict("numeric", "She has 3 apples, then 72 in total.", "Natalia sold 48/2 = 24 clips.\n#### 72"))
                .isEqualTo(Verdict.CORRECT);
        assertThat(verdict("numeric", "The answer is 71.", "#### 72")).isEqualTo(Verdict.INCORRECT);
        assertThat(verdict("numeric", "Total: 1,234 dollars", "#### 1234")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("numeric", "It costs $12.", "12")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("numeric", "x = -3.5", "#### -3.5")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("numeric", "x = 3.5", "#### -3.5")).isEqualTo(Verdict.INCORRECT);
        assertThat(verdict("numeric", "so 72.0", "#### 72")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("numeric", "1,234 or 1,235", "#### 1,234")).isEqualTo(Verdict.INCORRECT);
    }

    @Test
    void numericWithoutNumberInOutputIsIncorrectAndWithoutReferenceNumberUnscorable() {
        ScoredEvent noNumber = scorer.score(event("numeric", null, "I don't know", null, "#### 5"));
        assertThat(noNumber.verdict()).isEqualTo(Verdict.INCORRECT);
        assertThat(noNumber.reason()).contains("no number");
        ScoredEvent badRef = scorer.score(event("numeric", null, "5", null, "five"));
        assertThat(badRef.verdict()).isEqualTo(Verdict.UNSCORABLE);
        assertThat(badRef.reason()).contains("number");
    }

    @Test
    void numberExtractionHandlesSeparatorsSignsAndCurrency() {
        assertThat(AnswerExtraction.lastNumber("a 1,234 b")).isEqualByComparingTo("1234");
        assertThat(AnswerExtraction.lastNumber("minus -3.5 here")).isEqualByComparingTo("-3.5");
        assertThat(AnswerExtraction.lastNumber("pay $12 now")).isEqualByComparingTo("12");
        assertThat(AnswerExtraction.lastNumber("on 2023-11")).isEqualByComparingTo("11");
        assertThat(AnswerExtraction.lastNumber("1, 2, 3")).isEqualByComparingTo("3");
        assertThat(AnswerExtraction.lastNumber("none")).isNull();
        assertThat(AnswerExtraction.referenceNumber("48 + 24 = 72\n#### 72")).isEqualByComparingTo("72");
    }

    @Test
    void choiceExtractsTheStatedLetter() {
        assertThat(verdict("choice", "(B)", "B")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("choice", "Answer: B", "B")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("choice", "B. Because the sky is blue", "(B)")).isEqualTo(Verdict.CORRECT);
        assertThat(verdict("choice", "Let me think. A is wrong, so the answer is (C).", "C"))
                .isEqualTo(Verdict.CORRECT);
        assertThat(verdict("choice", "The answer is A", "B")).isEqualTo(Verdict.INCORRECT);
        assertThat(verdict("choice", "A cat sat on the mat", "A")).isEqualTo(Verdict.INCORRECT);
        assertThat(verdict("choice", "(B)", "banana")).isEqualTo(Verdict.UNSCORABLE);
    }

    @Test
    void containsFindsTheReferenceAsWholeWords() {
        assertThat(verdict("contains", "I think it is the Eiffel Tower, in Paris.", "eiffel tower"))
                .isEqualTo(Verdict.CORRECT);
        assertThat(verdict("contains", "Parisian food", "Paris")).isEqualTo(Verdict.INCORRECT);
        assertThat(verdict("contains", "London", "Paris", "Rome")).isEqualTo(Verdict.INCORRECT);
    }

    @Test
    void regexExtractsGroupOneAndComparesNormalized() {
        ScoredEvent ok = scorer.score(event("regex", "^\\s*([A-Za-z]+)", " Lucy.\nThe end", null, "Lucy"));
        assertThat(ok.verdict()).isEqualTo(Verdict.CORRECT);
        assertThat(ok.answer()).isEqualTo("Lucy");
        ScoredEvent wrong = scorer.score(event("regex", "^\\s*([A-Za-z]+)", " Lily.", null, "Tom"));
        assertThat(wrong.verdict()).isEqualTo(Verdict.INCORRECT);
        assertThat(wrong.answer()).isEqualTo("Lily");
        assertThat(scorer.score(event("regex", "answer: \\w+", "answer: yes", null, "Answer: YES"))
                        .verdict())
                .isEqualTo(Verdict.CORRECT);
    }

    @Test
    void regexWithoutMatchIsIncorrectAndBrokenPatternUnscorable() {
        ScoredEvent noMatch = scorer.score(event("regex", "^\\s*([A-Za-z]+)", "...", null, "Tom"));
        assertThat(noMatch.verdict()).isEqualTo(Verdict.INCORRECT);
        assertThat(noMatch.reason()).contains("does not match");
        ScoredEvent broken = scorer.score(event("regex", "([a-z", "abc", null, "abc"));
        assertThat(broken.verdict()).isEqualTo(Verdict.UNSCORABLE);
        assertThat(broken.reason()).contains("does not compile");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void catastrophicBacktrackingPatternCompletesWithTheRightVerdict() {
        String output = "x".repeat(40) + "y";
        ScoredEvent noMatch = scorer.score(event("regex", "^(.*x){12}$", output, null, "x"));
        assertThat(noMatch.verdict()).isEqualTo(Verdict.INCORRECT);
        assertThat(noMatch.reason()).contains("does not match");
        ScoredEvent match = scorer.score(event("regex", "^(?:.*x){12}(y)$", output, null, "Y"));
        assertThat(match.verdict()).isEqualTo(Verdict.CORRECT);
        assertThat(match.answer()).isEqualTo("y");
    }

    @Test
    void patternsRe2CannotRunAreUnscorableWithTheReason() {
        for (String pattern : new String[] {"(a)\\1", "foo(?=bar)", "(?<!x)y", "(?>ab)", "a++"}) {
            ScoredEvent refused = scorer.score(event("regex", pattern, "aa foobar y ab", null, "a"));
            assertThat(refused.verdict()).as(pattern).isEqualTo(Verdict.UNSCORABLE);
            assertThat(refused.reason()).as(pattern).contains("linear-time (RE2)");
        }
    }

    @Test
    void producerVerdictWins() {
        assertThat(scorer.score(event("exact", null, "wrong", true, "right")).verdict())
                .isEqualTo(Verdict.CORRECT);
        assertThat(scorer.score(event("exact", null, "right", false, "right")).verdict())
                .isEqualTo(Verdict.INCORRECT);
        assertThat(scorer.score(event(null, null, "anything", false)).verdict()).isEqualTo(Verdict.INCORRECT);
    }

    @Test
    void missingReferencesAreUnscorableAndDefaultMethodApplies() {
        ScoredEvent none = scorer.score(event("exact", null, "x", null));
        assertThat(none.verdict()).isEqualTo(Verdict.UNSCORABLE);
        assertThat(none.reason()).contains("no references");
        assertThat(verdict(null, "The Answer", "answer")).isEqualTo(Verdict.CORRECT);
    }

    @Test
    void aPatternPastItsTimeBudgetIsUnscorableAndWithoutABudgetItRunsToTheEnd() {
        // linear in RE2, and still far longer than a microsecond: a long NFA state set over 200 KB
        EvalOutput slow = event("regex", "(.*a){40}z", "ab".repeat(100_000), null, "x");
        ScoredEvent budgeted = new AnswerScorer(ScoringMethod.NORMALIZED, java.time.Duration.ofNanos(1)).score(slow);
        assertThat(budgeted.verdict()).isEqualTo(Verdict.UNSCORABLE);
        assertThat(budgeted.reason()).contains("time budget").contains("faultline.triage.pattern-budget");
        ScoredEvent unbounded = new AnswerScorer(ScoringMethod.NORMALIZED, java.time.Duration.ZERO)
                .score(event("regex", "(.*a){40}z", "ab".repeat(1_000), null, "x"));
        assertThat(unbounded.verdict()).isEqualTo(Verdict.INCORRECT);
        // a budgeted match still reports its groups from the text
        ScoredEvent ok = new AnswerScorer(ScoringMethod.NORMALIZED, java.time.Duration.ofSeconds(5))
                .score(event("regex", "answer: (\\w+)", "x".repeat(10_000) + "answer: yes", null, "YES"));
        assertThat(ok.verdict()).isEqualTo(Verdict.CORRECT);
        assertThat(ok.answer()).isEqualTo("yes");
    }
}
