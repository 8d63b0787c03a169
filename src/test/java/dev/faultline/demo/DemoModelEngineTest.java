package dev.faultline.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.djl.ndarray.NDManager;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.DType;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.TokenizedText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cross-checks two independent forwards on the committed demo model: the engine ({@link ModelLoader}, greedy decoding
 * through {@link AttributionEngine#logits}) must give the same answers as the trainer's own forward on held-out
 * problems, and so the accuracy that {@code training.json} reports.
 */
class DemoModelEngineTest {

    private static final Path MODEL = Path.of("models/faultline-demo");

    @Test
    void engineGreedyAnswersMatchTheTrainersForward() throws Exception {
        assumeThat(Files.exists(MODEL.resolve("model.safetensors")))
                .as("models/faultline-demo not trained yet")
                .isTrue();
        AdditionSuite suite = new AdditionSuite(2, 6);
        List<AdditionProblem> problems = suite.sample(1_000_004L, 200, AdditionSuite.Split.HELD_OUT);
        List<String> trainerAnswers;
        try (NDManager manager = NDManager.newBaseManager();
                DemoLlama trainer = DemoLlama.load(MODEL, manager)) {
            trainerAnswers = DemoTrainer.generate(
                    trainer, problems.stream().map(AdditionProblem::prompt).toList(), 8);
        }
        List<String> engineAnswers = new ArrayList<>();
        int correct = 0;
        try (LanguageModel model = ModelLoader.load(MODEL, DType.FLOAT32, "cpu");
                AttributionEngine engine = new AttributionEngine(4)) {
            assertThat(model.config().tiedEmbeddings()).isTrue();
            assertThat(model.config().bosId()).isEqualTo(DemoVocabulary.BOS_ID);
            for (AdditionProblem p : problems) {
                TokenizedText prompt = model.tokenizer().encode(p.prompt(), true);
                assertThat(prompt.ids()[0]).isEqualTo(DemoVocabulary.BOS_ID);
                assertThat(Arrays.copyOfRange(prompt.ids(), 1, prompt.size()))
                        .containsExactly(DemoVocabulary.encode(p.prompt()));
                int[] ids = prompt.ids();
                StringBuilder answer = new StringBuilder();
                for (int step = 0; step < 8; step++) {
                    float[][] logits = engine.logits(model, ids);
                    float[] last = logits[logits.length - 1];
                    int best = 0;
                    for (int v = 1; v < last.length; v++) {
                        if (last[v] > last[best]) {
                            best = v;
                        }
                    }
                    if (best == DemoVocabulary.EOS_ID) {
                        break;
                    }
                    answer.append(model.tokenizer().tokenText(best));
                    ids = Arrays.copyOf(ids, ids.length + 1);
                    ids[ids.length - 1] = best;
                }
                engineAnswers.add(answer.toString());
                if (answer.toString().equals(p.answer())) {
                    correct++;
                }
            }
        }
        assertThat(engineAnswers).isEqualTo(trainerAnswers);
        // the committed model is good but imperfect: failures exist and are the minority
        assertThat(correct).isBetween(100, 199);
    }
}
