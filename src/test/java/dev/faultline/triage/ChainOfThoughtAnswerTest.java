package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.SharedFiles;
import dev.faultline.engine.tokenizer.HfTextTokenizer;
import dev.faultline.replay.ReplayItem;
import dev.faultline.replay.ReplayReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A GSM8K {@code generate_until} sample whose response reasons step by step and ends in a wrong number: the error is
 * searched inside the final answer, with the chain of thought in the context (Qwen3's tokenizer, which writes
 * numbers digit by digit; logits are a fixed row, the search itself needs no model).
 */
class ChainOfThoughtAnswerTest {

    private static HfTextTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = HfTextTokenizer.load(SharedFiles.require("tokenizers/qwen3"));
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    /** Every token equally likely but the contrast: rank 1 for whatever contrast is asked about. */
    private static ContrastPairFinder.Logits flat() {
        return ids -> new double[tokenizer.vocabularySize()];
    }

    private static EvalOutput gsm8k(int docId) throws Exception {
        Path file = SharedFiles.require("data/lm-eval/samples_gsm8k_2025-09-09T13-31-53.431753.jsonl");
        List<ReplayItem> items = new ReplayReader(new ObjectMapper())
                .read(file, ReplayReader.Format.LM_EVAL, new ReplayReader.Stamp("qwen3", "main", null, null));
        return items.stream()
                .map(ReplayItem::event)
                .filter(e -> e.exampleId().equals("gsm8k/" + docId))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void errorFallsInsideTheFinalAnswerWithTheChainOfThoughtAsContext() throws Exception {
        EvalOutput event = gsm8k(17); // "... = $<<36400+23400=59800>>59800\n#### 59800", reference 57500
        assertThat(event.extractedAnswer()).isEqualTo("59800");
        assertThat(event.references()).containsExactly("57500");
        String output = event.output();
        PairSearch search = new ContrastPairFinder(null).find(tokenizer, flat(), event, null);

        assertThat(search.usable()).as(search.skipReason()).isTrue();
        AttributionResult.AnswerSpan span = search.answerSpan();
        // the strict-match filter's pick: the number after "####", not the 59800 earlier in the reasoning
        assertThat(span.start()).isEqualTo(output.lastIndexOf("#### 59800") + 5);
        assertThat(output.substring(span.start(), span.end())).isEqualTo("59800");
        assertThat(span.promptChars()).isEqualTo(event.prompt().length());

        ContrastPair pair = search.pair();
        int errorChar = pair.text().starts()[pair.tokenIndex()] - event.prompt().length();
        assertThat(errorChar).isBetween(span.start(), span.end() - 1);
        // "5" is shared with 57500 and teacher-forced; the answer departs at the second digit
        assertThat(errorChar).isEqualTo(span.start() + 1);
        assertThat(pair.wrongText()).isEqualTo("9");
        assertThat(pair.contrastText()).isEqualTo("7");
        String context = tokenizer.decode(pair.inputIds(), false);
        assertThat(context)
                .startsWith(event.prompt())
                .contains("Jill's annual salary as a teacher is 52 weeks")
                .endsWith("#### 5");
    }

    @Test
    void noLocatableAnswerIsReported() throws Exception {
        EvalOutput event = gsm8k(17);
        EvalOutput invalid = new EvalOutput(
                event.schema(),
                event.eventId(),
                event.runId(),
                event.model(),
                event.benchmark(),
                event.exampleId(),
                event.prompt(),
                event.output(),
                event.references(),
                event.scoring(),
                event.correct(),
                event.segments(),
                event.error(),
                event.producedAt(),
                null,
                null,
                null,
                "[invalid]",
                null,
                null);
        PairSearch search = new ContrastPairFinder(null).find(tokenizer, flat(), invalid, null);
        assertThat(search.pair()).isNull();
        assertThat(search.skipReason()).contains("found no answer");
        EvalOutput elsewhere = new EvalOutput(
                event.schema(),
                event.eventId(),
                event.runId(),
                event.model(),
                event.benchmark(),
                event.exampleId(),
                event.prompt(),
                event.output(),
                event.references(),
                event.scoring(),
                event.correct(),
                event.segments(),
                event.error(),
                event.producedAt(),
                null,
                null,
                null,
                "61000",
                null,
                null);
        assertThat(new ContrastPairFinder(null)
                        .find(tokenizer, flat(), elsewhere, null)
                        .skipReason())
                .isEqualTo("the extracted answer '61000' does not occur in the output");
    }

    private static EvalOutput withIds(EvalOutput e, int[] promptIds, int[] outputIds) {
        return new EvalOutput(
                e.schema(),
                e.eventId(),
                e.runId(),
                e.model(),
                e.benchmark(),
                e.exampleId(),
                e.prompt(),
                e.output(),
                e.references(),
                e.scoring(),
                e.correct(),
                e.segments(),
                e.error(),
                e.producedAt(),
                null,
                null,
                null,
                e.extractedAnswer(),
                promptIds == null ? null : Arrays.stream(promptIds).boxed().toList(),
                outputIds == null ? null : Arrays.stream(outputIds).boxed().toList());
    }

    @Test
    void producerIdsThatMatchTheTextAreReportedAsMatching() throws Exception {
        EvalOutput event = gsm8k(17);
        int[] promptIds = tokenizer.encode(event.prompt(), true).ids();
        int[] all = tokenizer.encode(event.prompt() + event.output(), true).ids();
        int[] outputIds = Arrays.copyOfRange(all, promptIds.length, all.length);
        PairSearch search =
                new ContrastPairFinder(null).find(tokenizer, flat(), withIds(event, promptIds, outputIds), null);
        assertThat(search.tokenization()).isEqualTo(new AttributionResult.Tokenization("producer", false, null));
        PairSearch fromText = new ContrastPairFinder(null).find(tokenizer, flat(), event, null);
        assertThat(search.pair().inputIds()).containsExactly(fromText.pair().inputIds());
        assertThat(fromText.tokenization()).isNull();
    }

    @Test
    void producerIdsThatDifferAreAttributedAsGivenAndTheMismatchReported() throws Exception {
        EvalOutput event = gsm8k(17);
        int[] promptIds = tokenizer.encode(event.prompt(), true).ids();
        // the producer wrote " salary" as " sal" + "ary": same text, other ids
        String output = event.output();
        int cut = output.indexOf(" salary");
        int[] head = tokenizer
                .encode(event.prompt() + output.substring(0, cut), true)
                .ids();
        int[] outHead = Arrays.copyOfRange(head, promptIds.length, head.length);
        int sal = tokenizer.tokenId("Ġsal");
        int ary = tokenizer.tokenId("ary");
        assertThat(sal).isPositive();
        assertThat(ary).isPositive();
        int[] tail = tokenizer
                .encode(output.substring(cut + " salary".length()), false)
                .ids();
        int[] outputIds = new int[outHead.length + 2 + tail.length];
        System.arraycopy(outHead, 0, outputIds, 0, outHead.length);
        outputIds[outHead.length] = sal;
        outputIds[outHead.length + 1] = ary;
        System.arraycopy(tail, 0, outputIds, outHead.length + 2, tail.length);
        assertThat(tokenizer.decode(outputIds, false)).isEqualTo(output);

        PairSearch search =
                new ContrastPairFinder(null).find(tokenizer, flat(), withIds(event, promptIds, outputIds), null);
        assertThat(search.tokenization().source()).isEqualTo("producer");
        assertThat(search.tokenization().mismatch()).isTrue();
        assertThat(search.tokenization().firstMismatchIndex()).isEqualTo(promptIds.length + outHead.length);
        ContrastPair pair = search.pair();
        int[] given = new int[promptIds.length + outputIds.length];
        System.arraycopy(promptIds, 0, given, 0, promptIds.length);
        System.arraycopy(outputIds, 0, given, promptIds.length, outputIds.length);
        // what is attributed is the producer's sequence, up to the error inside the final answer
        assertThat(pair.inputIds()).containsExactly(Arrays.copyOf(given, pair.tokenIndex()));
        assertThat(pair.wrongText()).isEqualTo("9");
        assertThat(pair.contrastText()).isEqualTo("7");
        int errorChar = pair.text().starts()[pair.tokenIndex()] - event.prompt().length();
        assertThat(errorChar).isEqualTo(search.answerSpan().start() + 1);
    }
}
