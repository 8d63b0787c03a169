package dev.faultline.triage;

import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.TextTokenizer;

/**
 * Restores the space a harness's decoding took from the first generated word. lm-evaluation-harness writes
 * {@code tokenizer.decode(generated_ids)}; a SentencePiece-style tokenizer drops the leading space of the first token
 * when it decodes ({@code ▁Lily} → {@code Lily}), so after a prompt ending in {@code belonged to} the log says
 * {@code Lily} where the model wrote {@code " Lily"}, and {@code prompt + output} would glue the two words
 * ({@code toLily}) into a context the model never saw.
 */
public final class LeadingSpace {

    private LeadingSpace() {}

    /**
     * The event with {@code " "} put in front of its output when the space was evidently lost: the model's tokenizer
     * drops a word's leading space on decoding, the prompt does not end in whitespace, the output starts with a
     * letter or digit, and the producer gave no output ids (ids are exact). Otherwise the event itself.
     */
    public static EvalOutput restore(EvalOutput event, TextTokenizer tokenizer) {
        String prompt = event.prompt();
        String output = event.output();
        if (event.outputTokenIds() != null
                || prompt == null
                || prompt.isEmpty()
                || output == null
                || output.isEmpty()) {
            return event;
        }
        if (Character.isWhitespace(prompt.charAt(prompt.length() - 1))
                || !Character.isLetterOrDigit(output.codePointAt(0))) {
            return event;
        }
        if (!decodingDropsLeadingSpace(tokenizer)) {
            return event;
        }
        return new EvalOutput(
                event.schema(),
                event.eventId(),
                event.runId(),
                event.model(),
                event.benchmark(),
                event.exampleId(),
                prompt,
                " " + output,
                event.references(),
                event.scoring(),
                event.correct(),
                event.segments(),
                shifted(event.error()),
                event.producedAt(),
                event.messages(),
                event.addGenerationPrompt(),
                event.chatTemplateKwargs(),
                event.extractedAnswer(),
                event.promptTokenIds(),
                event.outputTokenIds());
    }

    private static EvalOutput.ErrorHint shifted(EvalOutput.ErrorHint hint) {
        if (hint == null || hint.outputCharIndex() == null) {
            return hint;
        }
        return new EvalOutput.ErrorHint(hint.outputCharIndex() + 1, hint.contrastText());
    }

    /**
     * Whether decoding a word's tokens on their own loses the space in front of it: the tokens of {@code "a b"} from
     * the one holding the space on decode to {@code "b"} (SentencePiece's {@code ▁b}), not {@code " b"} (byte-level
     * {@code Ġb}, or a space token of its own).
     */
    static boolean decodingDropsLeadingSpace(TextTokenizer tokenizer) {
        dev.faultline.engine.TokenizedText t = tokenizer.encode("a b", false);
        int k = 0;
        while (k < t.size() && (t.special()[k] || t.ends()[k] <= 1)) {
            k++;
        }
        if (k == 0 || k >= t.size()) {
            return false;
        }
        String tail = tokenizer.decode(java.util.Arrays.copyOfRange(t.ids(), k, t.size()), true);
        return tail.equals("b");
    }
}
