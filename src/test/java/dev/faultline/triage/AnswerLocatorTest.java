package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.EvalOutput;
import org.junit.jupiter.api.Test;

class AnswerLocatorTest {

    private static EvalOutput event(String output, String method, String pattern, String extracted) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                "e",
                "r",
                new EvalOutput.ModelRef("m", null, null),
                "b",
                "x",
                "Q: ",
                output,
                java.util.List.of("18"),
                new EvalOutput.Scoring(method, pattern),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                extracted,
                null,
                null);
    }

    private static String located(EvalOutput e) {
        AnswerLocator.Location l = AnswerLocator.locate(e, e.output());
        return l.span() == null ? null : l.start() + ":" + e.output().substring(l.start(), l.end());
    }

    @Test
    void extractedAnswerAfterTheFirstAnswerMarkerWins() {
        String out = "She has 16 eggs. 16 - 3 = 13.\n#### 16\nSo #### 13 later";
        assertThat(located(event(out, "numeric", null, "16"))).isEqualTo(out.indexOf("#### 16") + 5 + ":16");
        String cot = "3 + 13 = 16. The answer is $16.";
        assertThat(located(event(cot, "numeric", null, "16"))).isEqualTo(cot.indexOf("$16") + 1 + ":16");
    }

    @Test
    void withoutAMarkerTheLastStandaloneOccurrence() {
        String out = "Eggs: 16, 116 in all, then 16 again and 160";
        assertThat(located(event(out, "numeric", null, "16"))).isEqualTo(out.indexOf("16 again") + ":16");
    }

    @Test
    void aResponseThatOpensWithTheAnswerHasItThere() {
        // lm-eval's first_word filter on "blue blue": the first word
        assertThat(located(event("blue blue", "regex", "^\\s*([A-Za-z]+)", "blue")))
                .isEqualTo("0:blue");
        assertThat(located(event(" Sam and Sam", "exact", null, "Sam"))).isEqualTo("1:Sam");
    }

    @Test
    void numericAndRegexScoringLocateWhatTheyCompare() {
        String out = "I think 12, no: 14 apples";
        assertThat(located(event(out, "numeric", null, null))).isEqualTo(out.indexOf("14") + ":14");
        String r = "Answer: Paris. Answer: Rome.";
        assertThat(located(event(r, "regex", "Answer: (\\w+)", null))).isEqualTo("8:Paris");
        assertThat(located(event("no digits", "exact", null, null))).isNull();
    }

    @Test
    void anAnswerThatIsNotThereIsUnlocatable() {
        AnswerLocator.Location l = AnswerLocator.locate(event("so 12", "numeric", null, "[invalid]"), "so 12");
        assertThat(l.unlocatable()).isTrue();
        assertThat(AnswerLocator.locate(event("so 12", "numeric", null, "13"), "so 12")
                        .reason())
                .contains("'13' does not occur");
        assertThat(AnswerLocator.locate(event("none here", "numeric", null, null), "none here")
                        .reason())
                .contains("no number");
    }
}
