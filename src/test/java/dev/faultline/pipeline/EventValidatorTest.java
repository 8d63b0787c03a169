package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.EvalOutput;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventValidatorTest {

    static final FaultlineConfig.Ingest LIMITS = new FaultlineConfig.Ingest() {
        public int maxEventBytes() {
            return 4 << 20;
        }

        public int maxPromptBytes() {
            return 1 << 20;
        }

        public int maxOutputBytes() {
            return 1000;
        }

        public int maxReferences() {
            return 3;
        }

        public int maxReferenceBytes() {
            return 100;
        }

        public int maxTokenIds() {
            return 8;
        }

        public int maxMessages() {
            return 3;
        }
    };

    private final EventValidator validator = new EventValidator(LIMITS);

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private InvalidEventException rejected(String s) {
        return catchThrowableOfType(InvalidEventException.class, () -> validator.validate(json(s)));
    }

    @Test
    void validEventBindsWithModelStep() throws InvalidEventException {
        EvalOutput e = validator.validate(json(IngestionTest.event("v1", "b", "72", "#### 72")));
        assertThat(e.eventId()).isEqualTo("v1");
        assertThat(e.model().step()).isEqualTo(100L);
        assertThat(e.references()).containsExactly("#### 72");
    }

    @Test
    void truncatedJsonNamesPosition() {
        InvalidEventException e = rejected("{\"schema\":1");
        assertThat(e.reason()).isEqualTo(InvalidEventException.INVALID_JSON);
        assertThat(e.getMessage()).contains("invalid JSON").contains("line 1").doesNotContain("REDACTED");
    }

    @Test
    void missingFieldsAreAllNamed() {
        InvalidEventException e = rejected("{\"schema\":\"faultline.eval-output/v1\",\"event_id\":\"x\"}");
        assertThat(e.reason()).isEqualTo(InvalidEventException.SCHEMA);
        assertThat(e.field()).isEqualTo("$.benchmark");
        assertThat(e.getMessage())
                .contains("$.run_id")
                .contains("$.model")
                .contains("$.prompt")
                .contains("$.output");
    }

    @Test
    void wrongSchemaIdAndUnknownMethodAreSchemaErrors() {
        assertThat(rejected(IngestionTest.event("x", "b", "1", "1").replace("eval-output/v1", "eval-output/v2"))
                        .field())
                .isEqualTo("$.schema");
        assertThat(rejected(IngestionTest.event("x", "b", "1", "1").replace("\"numeric\"", "\"fuzzy\""))
                        .field())
                .isEqualTo("$.scoring.method");
        assertThat(rejected(IngestionTest.event("x", "b", "1", "1")
                                .replace("{\"method\": \"numeric\"}", "{\"method\": \"regex\"}"))
                        .field())
                .startsWith("$.scoring");
    }

    @Test
    void limitsApplyPerField() {
        assertThat(rejected(IngestionTest.event("x", "b", "y".repeat(1001), "1"))
                        .field())
                .isEqualTo("$.output");
        assertThat(rejected(IngestionTest.event("x", "b", "1", "r".repeat(101))).field())
                .isEqualTo("$.references[0]");
        assertThat(rejected(IngestionTest.event("x", "b", "1", "1\", \"2\", \"3\", \"4"))
                        .field())
                .isEqualTo("$.references");
        // 400,000 three-byte characters: 1.2 MB in UTF-8, under the limit in chars
        InvalidEventException e =
                rejected(IngestionTest.event("x", "b", "1", "1").replace("Q: 6*12? A:", "€".repeat(400_000)));
        assertThat(e.reason()).isEqualTo(InvalidEventException.OVERSIZE);
        assertThat(e.field()).isEqualTo("$.prompt");
    }

    @Test
    void emptyAndNonObjectBodiesAreRejected() {
        assertThat(rejected("").reason()).isEqualTo(InvalidEventException.INVALID_JSON);
        assertThat(rejected("[1,2]").reason()).isEqualTo(InvalidEventException.SCHEMA);
        assertThat(rejected("{} trailing").reason()).isEqualTo(InvalidEventException.INVALID_JSON);
    }

    private static final String CHAT = "{\"schema\":\"faultline.eval-output/v1\",\"event_id\":\"c\",\"run_id\":\"r\","
            + "\"model\":{\"name\":\"m\"},\"benchmark\":\"b\",\"output\":\"Paris\",\"references\":[\"Paris\"],"
            + "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Capital of France?\"}],"
            + "\"chat_template_kwargs\":{\"enable_thinking\":false},\"segments\":[{\"name\":\"question\",\"message\":1}],"
            + "\"extracted_answer\":\"Paris\",\"prompt_token_ids\":[1,2,3],\"output_token_ids\":[4]}";

    @Test
    void chatEventsNeedNoPromptAndBindTheAdditions() throws InvalidEventException {
        EvalOutput e = validator.validate(json(CHAT));
        assertThat(e.prompt()).isNull();
        assertThat(e.messages()).hasSize(2);
        assertThat(e.messages().get(1)).containsEntry("content", "Capital of France?");
        assertThat(e.chatTemplateKwargs()).containsEntry("enable_thinking", false);
        assertThat(e.segments().get(0).message()).isEqualTo("1");
        assertThat(e.extractedAnswer()).isEqualTo("Paris");
        assertThat(e.promptTokenIds()).containsExactly(1, 2, 3);
        assertThat(e.outputTokenIds()).containsExactly(4);
    }

    @Test
    void neitherPromptNorMessagesIsRejected() {
        String noChat = CHAT.substring(0, CHAT.indexOf("\"messages\""))
                + CHAT.substring(CHAT.indexOf("\"chat_template_kwargs\""));
        InvalidEventException e = rejected(noChat);
        assertThat(e.getMessage()).contains("$.prompt");
    }

    @Test
    void tokenIdsAndMessagesHaveSizeLimits() {
        InvalidEventException ids = rejected(CHAT.replace("[1,2,3]", "[1,2,3,4,5,6,7,8,9]"));
        assertThat(ids.reason()).isEqualTo(InvalidEventException.OVERSIZE);
        assertThat(ids.field()).isEqualTo("$.prompt_token_ids");
        InvalidEventException negative = rejected(CHAT.replace("[4]", "[-4]"));
        assertThat(negative.field()).startsWith("$.output_token_ids");
        String many = CHAT.replace(
                "{\"role\":\"system\",\"content\":\"Be brief.\"}",
                "{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}");
        InvalidEventException messages = rejected(many);
        assertThat(messages.reason()).isEqualTo(InvalidEventException.OVERSIZE);
        assertThat(messages.field()).isEqualTo("$.messages");
    }

    @Test
    void everyTextFieldIsBounded() {
        String ok = IngestionTest.event("x", "b", "1", "1");
        InvalidEventException contrast = rejected(ok.replace(
                "\"correct\": null", "\"correct\": null, \"error\": {\"contrast_text\": \"" + "c".repeat(101) + "\"}"));
        assertThat(contrast.reason()).isEqualTo(InvalidEventException.OVERSIZE);
        assertThat(contrast.field()).isEqualTo("$.error.contrast_text");
        assertThat(contrast.getMessage()).contains("101 bytes, limit faultline.ingest.max-reference-bytes=100");
        InvalidEventException answer = rejected(
                CHAT.replace("\"extracted_answer\":\"Paris\"", "\"extracted_answer\":\"" + "é".repeat(51) + "\""));
        assertThat(answer.field()).isEqualTo("$.extracted_answer");
        assertThat(rejected(CHAT.replace("\"name\":\"question\"", "\"name\":\"" + "q".repeat(257) + "\""))
                        .field())
                .isEqualTo("$.segments[0].name");
        assertThat(rejected(CHAT.replace("\"message\":1", "\"message\":\"" + "u".repeat(65) + "\""))
                        .field())
                .isEqualTo("$.segments[0].message");
        assertThat(rejected(ok.replace("2026-11-24T12:00:00Z", "2026-11-24T12:00:00" + "0".repeat(60) + "Z"))
                        .field())
                .isEqualTo("$.produced_at");
        String bigKwargs = "{\"k\":\"" + "v".repeat(1 << 20) + "\"}";
        assertThat(rejected(CHAT.replace("{\"enable_thinking\":false}", bigKwargs))
                        .field())
                .isEqualTo("$.chat_template_kwargs");
        String bigTools = "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"arguments\":\""
                + "a".repeat(1 << 20) + "\"}]}";
        assertThat(rejected(CHAT.replace("{\"role\":\"system\",\"content\":\"Be brief.\"}", bigTools))
                        .field())
                .isEqualTo("$.messages");
        // at the limits, accepted
        assertThat(catchThrowableOfType(
                        InvalidEventException.class,
                        () -> validator.validate(json(ok.replace(
                                "\"correct\": null",
                                "\"correct\": null, \"error\": {\"contrast_text\": \"" + "c".repeat(100) + "\"}")))))
                .isNull();
    }

    @Test
    void aNullValueIsNamedATombstone() {
        InvalidEventException e =
                catchThrowableOfType(InvalidEventException.class, () -> validator.validate((byte[]) null));
        assertThat(e.reason()).isEqualTo(InvalidEventException.INVALID_JSON);
        assertThat(e.getMessage()).contains("null value (a tombstone)");
    }
}
