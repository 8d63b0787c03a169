package dev.faultline.api.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailureViewTest {

    /** A skipped failure with its text: output "So 16 + 2 = 18.\n#### 16", answer "16" after ####, error at "6". */
    static AttributionResult skipped(double logitDiff, AttributionStatus status) {
        String prompt = "Q: eggs?\nA: ";
        String output = "So 16 + 2 = 18.\n#### 16";
        int answer = output.lastIndexOf("16");
        var target = new AttributionResult.Target(
                20, new AttributionResult.TokenRef(21, "6"), new AttributionResult.TokenRef(23, "8"), logitDiff, 2);
        var b = new AttributionResult.Builder();
        b.eventId = "e";
        b.runId = "r";
        b.model = new EvalOutput.ModelRef("m", null, null);
        b.benchmark = "b";
        b.exampleId = "x";
        b.status = status;
        b.reason = "reason";
        b.verdict = Verdict.INCORRECT;
        b.target = target;
        b.answerSpan = new AttributionResult.AnswerSpan(answer, answer + 2, prompt.length());
        b.text = new AttributionResult.Text(prompt, output, answer + 1);
        return b.build();
    }

    @Test
    void negativeLogitDiffIsNotAPreference() {
        FailureView low = FailureView.of(skipped(-0.7, AttributionStatus.LOW_LOGIT_DIFF), "test");
        assertThat(low.pair().preferred()).isFalse();
        assertThat(low.whatHappened()).contains("would not have chosen").doesNotContain("led the contrast");
        FailureView small = FailureView.of(skipped(0.4, AttributionStatus.LOW_LOGIT_DIFF), "test");
        assertThat(small.pair().preferred()).isTrue();
        assertThat(small.whatHappened()).contains("led the contrast by too little");
    }

    @Test
    void skippedFailureShowsPromptAndOutputWithErrorAndAnswerMarked() {
        FailureView v = FailureView.of(skipped(0.4, AttributionStatus.NO_CONTRAST), "test");
        assertThat(v.heatmap().tokenCount()).isZero();
        assertThat(v.plain().prompt()).isEqualTo("Q: eggs?\nA: ");
        assertThat(v.plain().errorMarked()).isTrue();
        StringBuilder all = new StringBuilder();
        List<String> error = new ArrayList<>();
        List<String> answer = new ArrayList<>();
        for (FailureView.Piece p : v.plain().pieces()) {
            all.append(p.text());
            if (p.cssClass().contains("plain-error")) {
                error.add(p.text());
            }
            if (p.cssClass().contains("plain-answer")) {
                answer.add(p.text());
            }
        }
        assertThat(all.toString()).isEqualTo("So 16 + 2 = 18.\n#### 16");
        assertThat(error).containsExactly("6");
        assertThat(answer).containsExactly("1", "6");
        assertThat(v.answerText()).isEqualTo("16");
    }

    @Test
    void heatmapUnderlinesTheAnswerTokens() {
        // prompt "Q: " (3 chars); output "It is 42": tokens "Q:", " ", "It", " is", " 4", "2"; answer = "42" at 6..8
        String[] texts = {"Q:", " ", "It", " is", " 4", "2"};
        List<AttributionResult.Token> tokens = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < texts.length; i++) {
            tokens.add(new AttributionResult.Token(texts[i], i, at, at + texts[i].length(), 0.1, false, "q"));
            at += texts[i].length();
        }
        Heatmap h = Heatmap.of(tokens, new AttributionResult.AnswerSpan(6, 8, 3));
        List<String> underlined = h.groups().stream()
                .flatMap(g -> g.cells().stream())
                .filter(c -> c.cssClass().contains("tok-answer"))
                .map(Heatmap.Cell::text)
                .toList();
        assertThat(underlined).containsExactly(" 4", "2");
    }
}
