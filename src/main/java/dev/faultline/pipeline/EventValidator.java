package dev.faultline.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.EvalOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Checks raw {@code faultline.eval-output/v1} events: JSON syntax, the JSON Schema {@value #SCHEMA_RESOURCE} (compiled
 * once; the file is {@code kafka-topics/schemas/eval-output.v1.json}, copied onto the classpath by the build) and
 * the configured size limits. Thread-safe; usable without CDI.
 */
public final class EventValidator {

    /** Classpath location of the event schema. */
    public static final String SCHEMA_RESOURCE = "schemas/eval-output.v1.json";

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonSchema schema;
    private final FaultlineConfig.Ingest limits;

    public EventValidator(FaultlineConfig.Ingest limits) {
        this.limits = limits;
        this.schema = loadSchema();
    }

    private static JsonSchema loadSchema() {
        try (InputStream in = EventValidator.class.getClassLoader().getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("JSON Schema " + SCHEMA_RESOURCE + " is not on the classpath");
            }
            JsonNode node = MAPPER.readTree(in);
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(node);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + SCHEMA_RESOURCE, e);
        }
    }

    /** The shared mapper for events (snake_case names come from the contract records' annotations). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Validates one raw event (UTF-8 JSON) and binds it; throws with the reason and the field at fault. */
    public EvalOutput validate(byte[] json) throws InvalidEventException {
        if (json == null) {
            throw new InvalidEventException(
                    InvalidEventException.INVALID_JSON, "$", "$: null value (a tombstone), expected a JSON object");
        }
        if (json.length == 0) {
            throw new InvalidEventException(
                    InvalidEventException.INVALID_JSON, "$", "$: empty event, expected a JSON object");
        }
        if (json.length > limits.maxEventBytes()) {
            throw new InvalidEventException(
                    InvalidEventException.OVERSIZE,
                    "$",
                    "$: event is " + json.length + " bytes, limit faultline.ingest.max-event-bytes="
                            + limits.maxEventBytes());
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(
                    InvalidEventException.INVALID_JSON,
                    "$",
                    "$: invalid JSON: "
                            + e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)", "")
                            + (e.getLocation() == null
                                    ? ""
                                    : " at line " + e.getLocation().getLineNr() + ", column "
                                            + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw new InvalidEventException(
                    InvalidEventException.INVALID_JSON, "$", "$: unreadable JSON: " + e.getMessage());
        }
        return validate(node);
    }

    /** Validates an already parsed event. */
    public EvalOutput validate(JsonNode node) throws InvalidEventException {
        if (node == null || node.isMissingNode()) {
            throw new InvalidEventException(
                    InvalidEventException.INVALID_JSON, "$", "$: empty event, expected a JSON object");
        }
        Set<ValidationMessage> errors = schema.validate(node);
        if (!errors.isEmpty()) {
            List<ValidationMessage> sorted = errors.stream()
                    .sorted(Comparator.comparing((ValidationMessage m) -> fieldOf(m))
                            .thenComparing(ValidationMessage::getMessage))
                    .toList();
            String field = fieldOf(sorted.get(0));
            StringBuilder message = new StringBuilder();
            for (int i = 0; i < Math.min(5, sorted.size()); i++) {
                ValidationMessage m = sorted.get(i);
                message.append(i == 0 ? "" : "; ")
                        .append(fieldOf(m))
                        .append(": ")
                        .append(stripLocation(m));
            }
            if (sorted.size() > 5) {
                message.append(" (and ").append(sorted.size() - 5).append(" more)");
            }
            throw new InvalidEventException(InvalidEventException.SCHEMA, field, message.toString());
        }
        JsonNode prompt = node.get("prompt");
        JsonNode chat = node.get("messages");
        if ((prompt == null || prompt.isNull()) && (chat == null || !chat.isArray() || chat.isEmpty())) {
            throw new InvalidEventException(
                    InvalidEventException.SCHEMA,
                    "$.prompt",
                    "$.prompt: required property 'prompt' not found (or give messages, a chat to render)");
        }
        checkSize(node, "prompt", limits.maxPromptBytes(), "faultline.ingest.max-prompt-bytes");
        checkSize(node, "output", limits.maxOutputBytes(), "faultline.ingest.max-output-bytes");
        JsonNode refs = node.get("references");
        if (refs != null && refs.isArray()) {
            if (refs.size() > limits.maxReferences()) {
                throw new InvalidEventException(
                        InvalidEventException.OVERSIZE,
                        "$.references",
                        "$.references: " + refs.size() + " references, limit faultline.ingest.max-references="
                                + limits.maxReferences());
            }
            for (int i = 0; i < refs.size(); i++) {
                int bytes = utf8Length(refs.get(i).asText());
                if (bytes > limits.maxReferenceBytes()) {
                    throw new InvalidEventException(
                            InvalidEventException.OVERSIZE,
                            "$.references[" + i + "]",
                            "$.references[" + i + "]: " + bytes + " bytes, limit faultline.ingest.max-reference-bytes="
                                    + limits.maxReferenceBytes());
                }
            }
        }
        checkSize(node, "extracted_answer", limits.maxReferenceBytes(), "faultline.ingest.max-reference-bytes");
        JsonNode error = node.get("error");
        if (error != null && error.isObject()) {
            checkSize(
                    error,
                    "error.contrast_text",
                    "contrast_text",
                    limits.maxReferenceBytes(),
                    "faultline.ingest.max-reference-bytes");
        }
        checkCount(node, "prompt_token_ids", limits.maxTokenIds(), "faultline.ingest.max-token-ids");
        checkCount(node, "output_token_ids", limits.maxTokenIds(), "faultline.ingest.max-token-ids");
        JsonNode messages = node.get("messages");
        if (messages != null && messages.isArray()) {
            checkCount(node, "messages", limits.maxMessages(), "faultline.ingest.max-messages");
            long bytes = 0;
            for (JsonNode m : messages) {
                bytes += m.path("content").isTextual()
                        ? utf8Length(m.get("content").textValue())
                        : 0;
                bytes += m.path("reasoning_content").isTextual()
                        ? utf8Length(m.get("reasoning_content").textValue())
                        : 0;
                // tool calls are rendered into the prompt by the chat template: their JSON counts as text
                bytes += m.path("tool_calls").isArray()
                        ? utf8Length(m.get("tool_calls").toString())
                        : 0;
            }
            if (bytes > limits.maxPromptBytes()) {
                throw new InvalidEventException(
                        InvalidEventException.OVERSIZE,
                        "$.messages",
                        "$.messages: contents are " + bytes + " bytes, limit faultline.ingest.max-prompt-bytes="
                                + limits.maxPromptBytes());
            }
        }
        JsonNode kwargs = node.get("chat_template_kwargs");
        if (kwargs != null && kwargs.isObject()) {
            int bytes = utf8Length(kwargs.toString());
            if (bytes > limits.maxPromptBytes()) {
                throw new InvalidEventException(
                        InvalidEventException.OVERSIZE,
                        "$.chat_template_kwargs",
                        "$.chat_template_kwargs: " + bytes + " bytes, limit faultline.ingest.max-prompt-bytes="
                                + limits.maxPromptBytes());
            }
        }
        try {
            return MAPPER.treeToValue(node, EvalOutput.class);
        } catch (JsonProcessingException e) {
            // the schema admits it, so this is a contract/schema mismatch: report it as a schema error
            throw new InvalidEventException(
                    InvalidEventException.SCHEMA, "$", "$: cannot bind event: " + e.getOriginalMessage());
        }
    }

    private static void checkCount(JsonNode node, String name, int limit, String key) throws InvalidEventException {
        JsonNode value = node.get(name);
        if (value != null && value.isArray() && value.size() > limit) {
            throw new InvalidEventException(
                    InvalidEventException.OVERSIZE,
                    "$." + name,
                    "$." + name + ": " + value.size() + " entries, limit " + key + "=" + limit);
        }
    }

    private static void checkSize(JsonNode node, String name, int limit, String key) throws InvalidEventException {
        checkSize(node, name, name, limit, key);
    }

    /** {@code path} is the field's path from the event's root (for the message), {@code name} its name in {@code node}. */
    private static void checkSize(JsonNode node, String path, String name, int limit, String key)
            throws InvalidEventException {
        JsonNode value = node.get(name);
        if (value != null && value.isTextual()) {
            String text = value.textValue();
            // cheap bound first: UTF-8 needs at most 3 bytes per UTF-16 char
            if ((long) text.length() * 3 > limit) {
                int bytes = utf8Length(text);
                if (bytes > limit) {
                    throw new InvalidEventException(
                            InvalidEventException.OVERSIZE,
                            "$." + path,
                            "$." + path + ": " + bytes + " bytes, limit " + key + "=" + limit);
                }
            }
        }
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String fieldOf(ValidationMessage m) {
        String location = m.getInstanceLocation().toString();
        if ("required".equals(m.getType()) && m.getProperty() != null) {
            return location + "." + m.getProperty();
        }
        return location;
    }

    private static String stripLocation(ValidationMessage m) {
        String message = m.getMessage();
        String prefix = m.getInstanceLocation().toString() + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
