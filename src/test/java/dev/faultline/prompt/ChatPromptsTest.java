package dev.faultline.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.SharedFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatPromptsTest {

    private static final List<Map<String, Object>> CHAT = List.of(
            Map.of("role", "system", "content", "You are a helpful assistant."),
            Map.of("role", "user", "content", "What is the capital of France?"));

    private static EvalOutput event(List<EvalOutput.Segment> segments, Map<String, Object> kwargs) {
        return new EvalOutput(
                EvalOutput.SCHEMA,
                "e",
                "r",
                new EvalOutput.ModelRef("qwen3", null, null),
                "b",
                "x",
                null,
                "Paris",
                List.of("Paris"),
                null,
                null,
                segments,
                null,
                null,
                CHAT,
                null,
                kwargs,
                null,
                null,
                null);
    }

    @Test
    void messagesRenderWithTheModelsTemplateAndSegmentsNameMessages() throws Exception {
        ChatTemplate template = new ChatPrompts().template(SharedFiles.require("tokenizers/qwen3"));
        EvalOutput rendered = ChatPrompts.render(
                event(
                        List.of(
                                new EvalOutput.Segment("asked", 0, 0, "user"),
                                new EvalOutput.Segment("persona", 0, 0, "0")),
                        Map.of("enable_thinking", false)),
                template);
        // c02 of data/chat-templates/cases.jsonl
        assertThat(rendered.prompt())
                .isEqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
                        + "<think>\n\n</think>\n\n");
        assertThat(rendered.segments()).extracting(EvalOutput.Segment::name).containsExactly("asked", "persona");
        EvalOutput.Segment asked = rendered.segments().get(0);
        assertThat(rendered.prompt().substring(asked.start(), asked.end())).isEqualTo("What is the capital of France?");
        EvalOutput.Segment persona = rendered.segments().get(1);
        assertThat(rendered.prompt().substring(persona.start(), persona.end()))
                .isEqualTo("You are a helpful assistant.");
        assertThat(rendered.eventId()).isEqualTo("e");
        assertThat(rendered.output()).isEqualTo("Paris");
    }

    @Test
    void withoutSegmentsEachRoleIsOne() throws Exception {
        ChatTemplate template = new ChatPrompts().template(SharedFiles.require("tokenizers/qwen3"));
        EvalOutput rendered = ChatPrompts.render(event(null, null), template);
        assertThat(rendered.segments()).extracting(EvalOutput.Segment::name).containsExactly("system", "user");
        assertThat(rendered.prompt()).endsWith("<|im_start|>assistant\n");
    }

    @Test
    void aModelWithoutTemplateOrABrokenOneIsAnError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertThatThrownBy(() -> new ChatPrompts().template(dir))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("no chat_template");
        ChatTemplate broken = new ChatTemplate("{% for m in messages %}{{ m.content }", Map.of());
        assertThatThrownBy(() -> ChatPrompts.render(event(null, null), broken))
                .isInstanceOf(ChatTemplateException.class);
    }

    @Test
    void aRenderedChatIsAttributedWithTransformersIds() throws Exception {
        Path dir = SharedFiles.require("tokenizers/qwen3");
        EvalOutput chat = new EvalOutput(
                EvalOutput.SCHEMA,
                "e",
                "r",
                new EvalOutput.ModelRef("qwen3", null, null),
                "b",
                "x",
                null,
                "The capital of France is Lyon.",
                List.of("Paris"),
                null,
                null,
                null,
                null,
                null,
                CHAT,
                null,
                null,
                "Lyon",
                null,
                null);
        EvalOutput rendered = ChatPrompts.render(chat, new ChatPrompts().template(dir));
        try (var tokenizer = dev.faultline.engine.tokenizer.HfTextTokenizer.load(dir)) {
            var search = new dev.faultline.triage.ContrastPairFinder(null)
                    .find(tokenizer, ids -> new double[tokenizer.vocabularySize()], rendered, null, false);
            assertThat(search.usable()).as(search.skipReason()).isTrue();
            // c01 of data/chat-templates/cases.jsonl: transformers' ids of this conversation's rendering
            int[] c01 = {
                151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198, 3838, 374, 279,
                6722, 315, 9625, 30, 151645, 198, 151644, 77091, 198
            };
            assertThat(java.util.Arrays.copyOf(search.pair().inputIds(), c01.length))
                    .containsExactly(c01);
            assertThat(search.pair().wrongText()).isEqualTo(" Lyon");
            assertThat(search.pair().contrastText()).isEqualTo(" Paris");
        }
    }

    @Test
    void spansOfTheFlattenedPromptArePlacedInTheRendering() throws Exception {
        String flat = "system: You are a helpful assistant.\n\nuser: What is the capital of France?";
        int q = flat.indexOf("What");
        EvalOutput chat = new EvalOutput(
                EvalOutput.SCHEMA,
                "e",
                "r",
                new EvalOutput.ModelRef("qwen3", null, null),
                "b",
                "x",
                flat,
                "Lyon",
                List.of("Paris"),
                null,
                null,
                List.of(new EvalOutput.Segment("question", q, flat.length()), new EvalOutput.Segment("gone", 0, 7)),
                null,
                null,
                CHAT,
                null,
                null,
                null,
                null,
                null);
        EvalOutput rendered =
                ChatPrompts.render(chat, new ChatPrompts().template(SharedFiles.require("tokenizers/qwen3")));
        assertThat(rendered.segments()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("question");
            assertThat(rendered.prompt().substring(s.start(), s.end())).isEqualTo("What is the capital of France?");
        });
    }
}
