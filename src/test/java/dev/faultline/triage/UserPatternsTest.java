package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.EvalOutput;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class UserPatternsTest {

    private static EvalOutput regexEvent(String pattern, String output) {
        return AnswerScorerTest.event("regex", pattern, output, null, "ref");
    }

    @Test
    void compilesRe2PatternsAndRefusesBacktrackingOnlySyntax() {
        UserPatterns patterns = new UserPatterns();
        assertThat(patterns.compile("^\\s*([A-Za-z]+)").ok()).isTrue();
        UserPatterns.Compiled lookahead = patterns.compile("a(?=b)");
        assertThat(lookahead.ok()).isFalse();
        assertThat(lookahead.refusal()).contains("linear-time (RE2)");
        UserPatterns.Compiled broken = patterns.compile("([a-z");
        assertThat(broken.ok()).isFalse();
        assertThat(broken.refusal()).contains("does not compile").doesNotContain("RE2");
    }

    @Test
    void dollarAlsoMatchesBeforeAFinalLineTerminatorAsInJavaRegex() {
        var pattern = new UserPatterns().compile("is (\\d+)$").pattern();
        assertThat(UserPatterns.find(pattern, "the answer is 42\n").group(1)).isEqualTo("42");
        assertThat(UserPatterns.find(pattern, "the answer is 42\r\n").group(1)).isEqualTo("42");
        assertThat(UserPatterns.find(pattern, "the answer is 42").group(1)).isEqualTo("42");
        assertThat(UserPatterns.find(pattern, "the answer is 42\n\n")).isNull();
        assertThat(UserPatterns.find(pattern, "the answer is 42 or so")).isNull();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void attributionAnswerPositionSurvivesACatastrophicPattern() {
        String output = "x".repeat(40) + "y";
        assertThat(ContrastPairFinder.answerStart(regexEvent("^(.*x){12}$", output), output, "y"))
                .isEqualTo(40);
        assertThat(ContrastPairFinder.answerStart(regexEvent("^(?:.*x){12}(y)$", output), output, null))
                .isEqualTo(40);
    }

    @Test
    void attributionFallsBackToTheAnswerForARefusedPattern() {
        String output = " the answer is Tom";
        assertThat(ContrastPairFinder.answerStart(regexEvent("(?<=is )(\\w+)", output), output, "Tom"))
                .isEqualTo(15);
    }
}
