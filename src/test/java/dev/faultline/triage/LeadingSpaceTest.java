package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.SharedFiles;
import dev.faultline.engine.tokenizer.HfTextTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * lm-eval logs TinyStories' generations decoded by its SentencePiece tokenizer, which drops the first word's space
 * ({@code data/lm-eval-tinystories/README.md}: all 300 generations at main start with a space the log lacks).
 */
class LeadingSpaceTest {

    private static EvalOutput event(String prompt, String output, List<Integer> outputIds) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                "e",
                "r",
                new EvalOutput.ModelRef("m", null, null),
                "b",
                "x",
                prompt,
                output,
                List.of("Tom"),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                outputIds);
    }

    @Test
    void sentencePieceDecodingLostTheSpaceAndItIsPutBack() {
        try (HfTextTokenizer tiny = HfTextTokenizer.load(SharedFiles.require("models/tinystories-260k"))) {
            assertThat(LeadingSpace.decodingDropsLeadingSpace(tiny)).isTrue();
            EvalOutput logged = event("The pink book belonged to", "Lily", null);
            EvalOutput restored = LeadingSpace.restore(logged, tiny);
            assertThat(restored.output()).isEqualTo(" Lily");
            assertThat(restored.prompt()).isEqualTo(logged.prompt());
            // the model's own tokens: prompt + " Lily" is the prompt's tokens followed by the output's
            int[] joined =
                    tiny.encode(restored.prompt() + restored.output(), true).ids();
            int[] prompt = tiny.encode(restored.prompt(), true).ids();
            assertThat(java.util.Arrays.copyOf(joined, prompt.length)).containsExactly(prompt);
            // already spaced, after whitespace, punctuation first, or exact ids: left alone
            assertThat(LeadingSpace.restore(event("belonged to", " Lily", null), tiny)
                            .output())
                    .isEqualTo(" Lily");
            assertThat(LeadingSpace.restore(event("belonged to\n", "Lily", null), tiny)
                            .output())
                    .isEqualTo("Lily");
            assertThat(LeadingSpace.restore(event("belonged to", ".", null), tiny)
                            .output())
                    .isEqualTo(".");
            assertThat(LeadingSpace.restore(event("belonged to", "Lily", List.of(5)), tiny)
                            .output())
                    .isEqualTo("Lily");
        }
    }

    @Test
    void byteLevelDecodingKeepsTheSpaceSoNothingIsAdded() {
        try (HfTextTokenizer qwen = HfTextTokenizer.load(SharedFiles.require("tokenizers/qwen3"))) {
            assertThat(LeadingSpace.decodingDropsLeadingSpace(qwen)).isFalse();
            assertThat(LeadingSpace.restore(event("x =", "42", null), qwen).output())
                    .isEqualTo("42");
        }
    }
}
