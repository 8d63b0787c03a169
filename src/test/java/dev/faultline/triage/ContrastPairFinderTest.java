package dev.faultline.triage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.faultline.contract.EvalOutput;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Error position, wrong and contrast tokens against the reference implementation's choices (expected.jsonl). */
class ContrastPairFinderTest {

    static ClozeData data;
    static HfTestTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        data = ClozeData.load();
        tokenizer = new HfTestTokenizer(ClozeData.modelDir().resolve("tokenizer.json"));
    }

    /** A logits row made of expected.jsonl's top-10 and the pair's logits; everything else far below. */
    static ContrastPairFinder.Logits logitsFrom(JsonNode exp) {
        return ids -> {
            double[] row = new double[512];
            Arrays.fill(row, -100);
            exp.get("top10")
                    .forEach(t -> row[t.get("id").asInt()] = t.get("logit").asDouble());
            row[exp.get("wrong").get("id").asInt()] = exp.get("logit_wrong").asDouble();
            row[exp.get("contrast").get("id").asInt()] =
                    exp.get("logit_contrast").asDouble();
            return row;
        };
    }

    @Test
    void everyClozeFailureGetsTheReferencePair() {
        ContrastPairFinder finder = new ContrastPairFinder(null);
        int failures = 0;
        for (Map.Entry<String, JsonNode> e : data.expected.entrySet()) {
            JsonNode exp = e.getValue();
            if (exp.get("correct").asBoolean()) {
                continue;
            }
            failures++;
            EvalOutput event = data.events.get(e.getKey());
            PairSearch search = finder.find(tokenizer, logitsFrom(exp), event, null);
            assertThat(search.usable())
                    .as(e.getKey() + ": " + search.skipReason())
                    .isTrue();
            assertThat(search.retokenizationMismatch()).as(e.getKey()).isFalse();
            ContrastPair pair = search.pair();
            assertThat(pair.tokenIndex())
                    .as(e.getKey())
                    .isEqualTo(exp.get("error").get("token_index").asInt());
            assertThat(pair.position())
                    .as(e.getKey())
                    .isEqualTo(exp.get("error").get("oracle_position").asInt());
            assertThat(pair.wrong())
                    .as(e.getKey())
                    .isEqualTo(exp.get("wrong").get("id").asInt());
            assertThat(pair.contrast())
                    .as(e.getKey())
                    .isEqualTo(exp.get("contrast").get("id").asInt());
            assertThat(pair.wrongText())
                    .as(e.getKey())
                    .isEqualTo(exp.get("wrong").get("text").asText());
            assertThat(pair.contrastText())
                    .as(e.getKey())
                    .isEqualTo(exp.get("contrast").get("text").asText());
            assertThat(pair.logitDiff())
                    .as(e.getKey())
                    .isCloseTo(exp.get("logit_diff").asDouble(), within(1e-9));
            int[] oracleIds = ClozeData.JSON.convertValue(exp.get("oracle_ids"), int[].class);
            assertThat(pair.inputIds()).as(e.getKey()).containsExactly(oracleIds);
            assertThat(pair.forcedPrefixIds())
                    .as(e.getKey())
                    .containsExactly(
                            ClozeData.JSON.convertValue(exp.get("error").get("forced_prefix_ids"), int[].class));
            if (!exp.get("contrast_rank_top10").isNull()) {
                assertThat(pair.contrastRank())
                        .as(e.getKey())
                        .isEqualTo(exp.get("contrast_rank").asInt());
            }
        }
        assertThat(failures).isEqualTo(74);
    }

    @Test
    void sharedFirstTokenIsTeacherForced() {
        JsonNode exp = data.expected.get("tinystories-cloze/66");
        PairSearch search = new ContrastPairFinder(null)
                .find(tokenizer, logitsFrom(exp), data.events.get("tinystories-cloze/66"), null);
        assertThat(search.pair().forcedPrefixIds()).containsExactly(268); // ' b' of ' blue' vs ' bird'
        assertThat(search.pair().wrongText()).isEqualTo("l");
        assertThat(search.pair().contrastText()).isEqualTo("ir");
    }

    @Test
    void referenceThatIsAPrefixOfTheOutputGivesNoPair() {
        EvalOutput base = data.events.get("tinystories-cloze/66");
        // output " blue" (' b' 'l' 'ue') against reference "b" (' b'): the reference's ids are a prefix of the output's
        EvalOutput e = new EvalOutput(
                base.schema(),
                "t/prefix",
                base.runId(),
                base.model(),
                base.benchmark(),
                "x",
                base.prompt(),
                " blue",
                List.of("b"),
                base.scoring(),
                false,
                base.segments(),
                null,
                null);
        PairSearch search = new ContrastPairFinder(null).find(tokenizer, ids -> new double[512], e, null);
        assertThat(search.pair()).isNull();
        assertThat(search.skipReason()).contains("prefix");
    }

    @Test
    void severalReferencesPickTheContrastWithTheHighestLogit() {
        EvalOutput base = data.events.get("tinystories-cloze/3"); // ' Lily' wrong; ' T' (Tom) and ' M' (Mia)
        EvalOutput e = new EvalOutput(
                base.schema(),
                "t/multi",
                base.runId(),
                base.model(),
                base.benchmark(),
                "x",
                base.prompt(),
                base.output(),
                List.of("Tom", "Mia"),
                base.scoring(),
                false,
                base.segments(),
                null,
                null);
        JsonNode exp = data.expected.get("tinystories-cloze/3");
        PairSearch search = new ContrastPairFinder(null).find(tokenizer, logitsFrom(exp), e, null);
        assertThat(search.pair().contrastText()).isEqualTo(" M"); // logit 13.60 beats ' T' 12.75
        assertThat(search.pair().reference()).isEqualTo("Mia");
        assertThat(search.pair().contrastRank()).isEqualTo(2);
    }

    @Test
    void producerHintNamesPositionAndContrast() {
        EvalOutput base = data.events.get("tinystories-cloze/3");
        EvalOutput e = new EvalOutput(
                base.schema(),
                "t/hint",
                base.runId(),
                base.model(),
                base.benchmark(),
                "x",
                base.prompt(),
                base.output(),
                base.references(),
                base.scoring(),
                false,
                base.segments(),
                new EvalOutput.ErrorHint(1, "her"),
                null);
        JsonNode exp = data.expected.get("tinystories-cloze/3");
        PairSearch search = new ContrastPairFinder(null).find(tokenizer, logitsFrom(exp), e, null);
        assertThat(search.pair().tokenIndex()).isEqualTo(62);
        assertThat(search.pair().contrastText()).isEqualTo(" her");
        assertThat(search.pair().reference()).isEqualTo("her");
    }

    @Test
    void maxContrastRankSkipsImplausibleContrasts() {
        JsonNode exp = data.expected.get("tinystories-cloze/3"); // contrast rank 4
        PairSearch search = new ContrastPairFinder(3)
                .find(tokenizer, logitsFrom(exp), data.events.get("tinystories-cloze/3"), null);
        assertThat(search.pair()).isNotNull();
        assertThat(search.usable()).isFalse();
        assertThat(search.skipReason()).contains("rank 4");
    }
}
