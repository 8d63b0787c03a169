package dev.faultline.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.SharedFiles;
import dev.faultline.engine.tokenizer.HfTextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Qwen3's real chat template, rendered here, against transformers' own renders
 * ({@code data/chat-templates/cases.jsonl}): the exact text, and the exact ids once the Java tokenizer encodes it.
 */
class ChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ChatTemplate template;
    private static HfTextTokenizer tokenizer;
    private static List<JsonNode> cases;

    @BeforeAll
    static void load() throws Exception {
        Path dir = SharedFiles.require("tokenizers/qwen3");
        template = ChatTemplate.fromTokenizerConfig(dir.resolve("tokenizer_config.json"));
        tokenizer = HfTextTokenizer.load(dir);
        cases = new ArrayList<>();
        for (String line : Files.readAllLines(SharedFiles.require("data/chat-templates/cases.jsonl"))) {
            if (!line.isBlank()) {
                cases.add(JSON.readTree(line));
            }
        }
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    private static String render(JsonNode c) throws ChatTemplateException {
        Map<String, Object> options = new HashMap<>();
        if (c.has("enable_thinking")) {
            options.put("enable_thinking", c.get("enable_thinking").asBoolean());
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), List.class);
        return template.render(messages, c.get("add_generation_prompt").asBoolean(), options);
    }

    @Test
    void everyCaseRendersToTransformersTextAndIds() throws Exception {
        assertThat(cases).hasSize(30);
        List<String> wrong = new ArrayList<>();
        for (JsonNode c : cases) {
            String id = c.get("id").asText();
            String text = render(c);
            if (!text.equals(c.get("text").asText())) {
                wrong.add(id + " text: " + JSON.writeValueAsString(text));
                continue;
            }
            int[] expected = JSON.convertValue(c.get("ids"), int[].class);
            int[] ids = tokenizer.encode(text, false).ids();
            if (!java.util.Arrays.equals(ids, expected)) {
                wrong.add(id + " ids: " + java.util.Arrays.toString(ids));
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void contentIsDataNotTemplate() throws Exception {
        String text = template.render(
                List.of(Map.of("role", "user", "content", "{{ 7 * 6 }} {% if true %}x{% endif %}")), false, Map.of());
        assertThat(text).isEqualTo("<|im_start|>user\n{{ 7 * 6 }} {% if true %}x{% endif %}<|im_end|>\n");
    }

    @Test
    void enableThinkingFalseAddsAnEmptyThinkBlock() throws Exception {
        var messages = List.of(Map.of("role", "user", "content", "Hi"));
        assertThat(template.render(messages, true, Map.of("enable_thinking", false)))
                .endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
        assertThat(template.render(messages, true, Map.of())).endsWith("<|im_start|>assistant\n");
    }

    @Test
    void raiseExceptionAndSyntaxErrorsAreErrors() {
        ChatTemplate raising = new ChatTemplate(
                "{%- if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}"
                        + "{%- endif %}{{ messages[0].content }}",
                Map.of());
        assertThatThrownBy(() -> raising.render(List.of(Map.of("role", "system", "content", "s")), false, Map.of()))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("Conversations must start with a user turn");
        ChatTemplate broken = new ChatTemplate("{% for m in messages %}{{ m.content }}", Map.of());
        assertThatThrownBy(() -> broken.render(List.of(Map.of("role", "user", "content", "s")), false, Map.of()))
                .isInstanceOf(ChatTemplateException.class);
    }

    @Test
    void whitespaceControlFollowsJinja2() {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation before it; {{- strips left
        assertThat(ChatTemplate.applyWhitespaceControl("a\n  {% if x %}\nb\n  {%- endif %}\n  {{- c }} d"))
                .isEqualTo("a\n{% if x %}b{% endif %}{{ c }} d");
        assertThat(ChatTemplate.applyWhitespaceControl("x  {{ y }}\n z")).isEqualTo("x  {{ y }}\n z");
    }

    @Test
    void pythonMethodsAndStepSlicesAreRewritten() {
        assertThat(ChatTemplate.rewriteExpression(" m.content.split('</think>')[-1].lstrip('\\n') "))
                .isEqualTo(" fl_py_lstrip(fl_py_split(m.content, '</think>')[-1], '\\n') ");
        assertThat(ChatTemplate.rewriteExpression(" for m in messages[::-1] "))
                .isEqualTo(" for m in (messages|reverse) ");
        assertThat(ChatTemplate.rewriteExpression(" 'a.strip()' ")).isEqualTo(" 'a.strip()' ");
    }
}
