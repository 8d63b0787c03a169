package dev.faultline.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.EvalOutput;
import dev.faultline.pipeline.EventValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LmEvalConverterTest {

    private static final ReplayReader.Stamp STAMP = new ReplayReader.Stamp("model-x", "rev1", null, null);

    private static Path lmEvalDir() {
        String shared = System.getProperty("faultline.shared.dir");
        Path dir = shared == null ? null : Path.of(shared, "data", "lm-eval");
        assumeTrue(
                dir != null && Files.isDirectory(dir),
                "test data data/lm-eval is absent (faultline.shared.dir): skipped");
        return dir;
    }

    private static List<ReplayItem> read(String file) throws Exception {
        return new ReplayReader(new ObjectMapper()).read(lmEvalDir().resolve(file), ReplayReader.Format.LM_EVAL, STAMP);
    }

    private static List<EvalOutput> events(List<ReplayItem> items) {
        assertThat(items).noneMatch(ReplayItem::isBad);
        return items.stream().map(ReplayItem::event).toList();
    }

    @Test
    void taskNameComesFromCurrentAndOldFileNames() {
        assertThat(LmEvalConverter.taskFromFileName("samples_gsm8k_2025-09-09T13-31-53.431753.jsonl"))
                .isEqualTo("gsm8k");
        assertThat(LmEvalConverter.taskFromFileName("samples_leaderboard_ifeval_2024-06-08T05-42-41.351110.json"))
                .isEqualTo("leaderboard_ifeval");
        assertThat(LmEvalConverter.taskFromFileName("model__gpt-3.5-turbo-0125_wmdp_bio.jsonl"))
                .isEqualTo("wmdp_bio");
        assertThat(LmEvalConverter.taskFromFileName("pretrained=EleutherAI__pythia-2.8b_winogrande.jsonl"))
                .isEqualTo("winogrande");
        assertThat(LmEvalConverter.taskFromFileName("results.jsonl")).isNull();
    }

    @Test
    void currentGsm8kFileGivesNumericEventsWithExtractedAnswers() throws Exception {
        List<EvalOutput> events = events(read("samples_gsm8k_2025-09-09T13-31-53.431753.jsonl"));
        assertThat(events).hasSize(3);
        assertThat(events)
                .extracting(EvalOutput::eventId)
                .containsExactly(
                        "model-x/rev1/gsm8k:gsm8k/16/strict-match",
                        "model-x/rev1/gsm8k:gsm8k/17/strict-match",
                        "model-x/rev1/gsm8k:gsm8k/18/strict-match");
        assertThat(events).extracting(EvalOutput::correct).containsExactly(true, false, false);
        // output is the whole generation (resps), the filter's pick (filtered_resps) the extracted answer
        assertThat(events).extracting(EvalOutput::extractedAnswer).containsExactly("230", "59800", "3.5");
        assertThat(events.get(1).output())
                .startsWith("Jill's annual salary as a teacher")
                .endsWith("#### 59800");
        assertThat(events).extracting(e -> e.references().get(0)).containsExactly("230", "57500", "7");
        assertThat(events).allMatch(e -> e.scoring().method().equals("numeric"));
        EvalOutput first = events.get(0);
        // arg_0 is a list holding a JSON-encoded chat message list: the prompt is the message content, and the
        // messages themselves are carried for the model's chat template
        assertThat(first.prompt()).startsWith("Question: A ship left a port").endsWith("Answer:");
        assertThat(first.messages()).singleElement().satisfies(m -> {
            assertThat(m).containsEntry("role", "user");
            assertThat(m.get("content")).isEqualTo(first.prompt());
        });
        assertThat(first.addGenerationPrompt()).isTrue();
        assertThat(first.benchmark()).isEqualTo("gsm8k");
        assertThat(first.model()).isEqualTo(new EvalOutput.ModelRef("model-x", "rev1", null));
        EvalOutput.Segment question = first.segments().get(1);
        assertThat(question.name()).isEqualTo("question");
        assertThat(first.prompt().substring(question.start(), question.end()))
                .startsWith("Two trains leave San Rafael");
    }

    @Test
    void currentMultipleChoiceFileWithStringifiedResponsesPicksTheHighestLikelihood() throws Exception {
        List<EvalOutput> events = events(read("samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl"));
        assertThat(events).hasSize(20);
        assertThat(events.stream().filter(EvalOutput::correct).count()).isEqualTo(9); // acc 0.45
        EvalOutput first = events.get(0); // log-likelihoods -10.125, -17.625, -21.125, -17.875; gold "3"
        assertThat(first.output()).isEqualTo("A");
        assertThat(first.references()).containsExactly("D");
        assertThat(first.correct()).isFalse();
        assertThat(first.scoring().method()).isEqualTo("choice");
        assertThat(first.prompt()).startsWith("<|im_start|>user\nBackground:");
        // the stored verdict agrees with output == reference on every record of this file
        assertThat(events)
                .allMatch(e -> e.correct() == e.output().equals(e.references().get(0)));
    }

    @Test
    void oldJsonArrayFileIsSniffedAndKeepsTheStoredMetric() throws Exception {
        List<EvalOutput> events = events(read("model__gpt-3.5-turbo-0125_wmdp_bio.jsonl"));
        assertThat(events).hasSize(100);
        // the task config of that run scored every record correct: the stored metric is carried, not re-derived
        assertThat(events).allMatch(EvalOutput::correct);
        assertThat(events.stream()
                        .filter(e -> e.output().equals(e.references().get(0)))
                        .count())
                .isEqualTo(64);
        assertThat(events.get(0).references()).containsExactly("D");
        assertThat(events.get(0).output()).isEqualTo("A");
        assertThat(events.get(0).eventId()).isEqualTo("model-x/rev1/wmdp_bio:wmdp_bio/0/none");
    }

    @Test
    void preRefactorFileWithNativeLikelihoodsUsesOneBasedOptions() throws Exception {
        List<ReplayItem> items = read("pretrained=EleutherAI__pythia-2.8b_winogrande.jsonl");
        assertThat(items).extracting(ReplayItem::line).containsExactly(1, 2, 3, 4);
        List<EvalOutput> events = events(items);
        assertThat(events).extracting(EvalOutput::correct).containsExactly(false, false, false, true);
        assertThat(events).extracting(EvalOutput::output).containsExactly("Sarah", "Maria", "blanket", "eggplant");
        assertThat(events).extracting(e -> e.references().get(0)).containsExactly("Maria", "Sarah", "bed", "eggplant");
        assertThat(events.get(3).prompt())
                .isEqualTo("Terry tried to bake the eggplant in the toaster oven but the eggplant");
    }

    @Test
    void everyConvertedRealRecordPassesTheEventSchema() throws Exception {
        EventValidator validator = new EventValidator(new FaultlineConfig.Ingest() {
            public int maxEventBytes() {
                return 4 << 20;
            }

            public int maxPromptBytes() {
                return 1 << 20;
            }

            public int maxOutputBytes() {
                return 1 << 18;
            }

            public int maxReferences() {
                return 64;
            }

            public int maxReferenceBytes() {
                return 1 << 16;
            }

            @Override
            public int maxTokenIds() {
                return 1 << 16;
            }

            @Override
            public int maxMessages() {
                return 64;
            }
        });
        ObjectMapper json = new ObjectMapper();
        Map<String, Integer> expected = Map.of(
                "samples_gsm8k_2025-09-09T13-31-53.431753.jsonl",
                3,
                "samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl",
                20,
                "model__gpt-3.5-turbo-0125_wmdp_bio.jsonl",
                100,
                "pretrained=EleutherAI__pythia-2.8b_winogrande.jsonl",
                4);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            List<EvalOutput> events = events(read(e.getKey()));
            assertThat(events).as(e.getKey()).hasSize(e.getValue());
            for (EvalOutput event : events) {
                validator.validate(json.writeValueAsBytes(event));
            }
        }
    }
}
