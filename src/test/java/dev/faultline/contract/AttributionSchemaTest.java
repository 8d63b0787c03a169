package dev.faultline.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** kafka-topics/schemas/attribution.v1.json and the {@link AttributionResult} record describe the same JSON. */
class AttributionSchemaTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode schemaJson() throws Exception {
        try (InputStream in =
                AttributionSchemaTest.class.getClassLoader().getResourceAsStream("schemas/attribution.v1.json")) {
            assertThat(in).as("schemas/attribution.v1.json on the class path").isNotNull();
            return JSON.readTree(in);
        }
    }

    static Set<ValidationMessage> validate(JsonNode json) throws Exception {
        JsonSchema schema =
                JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaJson());
        return schema.validate(json);
    }

    static AttributionResult attributed() {
        return attributed(null);
    }

    /** Every field set; {@code reason} only where given (it is null for ATTRIBUTED results). */
    static AttributionResult attributed(String reason) {
        return new AttributionResult(
                AttributionResult.SCHEMA,
                "e1",
                "run",
                new EvalOutput.ModelRef("m", "step1000", 1000L),
                "gsm8k",
                "gsm8k/1",
                AttributionStatus.ATTRIBUTED,
                reason,
                Verdict.INCORRECT,
                new AttributionResult.Target(
                        57,
                        new AttributionResult.TokenRef(17, " 71"),
                        new AttributionResult.TokenRef(18, " 72"),
                        3.2,
                        2),
                List.of(new AttributionResult.Token("Once", 5, 0, 4, 0.12, false, "instruction")),
                List.of(new AttributionResult.IndexedRelevance(0, 0.41)),
                List.of(new AttributionResult.IndexedRelevance(0, -0.1)),
                List.of(new AttributionResult.SegmentRelevance("instruction", 0.6, 0.7, -0.1, 1, 1.0)),
                List.of(new AttributionResult.LayerRelevance(0, 1.2, -0.4)),
                new AttributionResult.Conservation(3.2, 2.71, 0.01, 0.48, 1e-7),
                new AttributionResult.FaithfulnessSummary(5, 2.1, 0.2, 0.5, true),
                List.of(new AttributionResult.TopToken(17, " 71", 12.5)),
                false,
                new AttributionResult.Engine("attnlrp", "attnlrp", "float32", "cpu", "0.1.0"),
                Map.of("tokenize", 1.0, "forward", 10.0),
                "2026-11-24T12:00:00Z",
                "2026-11-24T12:00:01Z",
                new AttributionResult.AnswerSpan(40, 43, 12),
                new AttributionResult.Tokenization("producer", true, 7, false),
                new AttributionResult.Text("Once", " upon", 1));
    }

    @Test
    void aFullAttributedResultValidates() throws Exception {
        assertThat(validate(JSON.valueToTree(attributed()))).isEmpty();
    }

    @Test
    void aModelUnavailableResultNeedsNoTarget() throws Exception {
        var b = new AttributionResult.Builder();
        b.eventId = "e2";
        b.runId = "run";
        b.model = new EvalOutput.ModelRef("m", null, null);
        b.benchmark = "b";
        b.status = AttributionStatus.MODEL_UNAVAILABLE;
        b.reason = "no checkpoint for m@main";
        b.verdict = Verdict.INCORRECT;
        AttributionResult r = b.build();
        assertThat(validate(JSON.valueToTree(r))).isEmpty();
    }

    @Test
    void attributedWithoutTargetIsRejected() throws Exception {
        ObjectNode n = JSON.valueToTree(attributed());
        n.remove("target");
        assertThat(validate(n)).extracting(ValidationMessage::getMessage).anyMatch(m -> m.contains("target"));
    }

    @Test
    void unknownStatusAndMissingEventIdAreRejected() throws Exception {
        ObjectNode n = JSON.valueToTree(attributed());
        n.put("status", "EXPLAINED");
        n.remove("event_id");
        assertThat(validate(n)).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void schemaDocumentsEveryFieldOfTheRecord() throws Exception {
        JsonNode props = schemaJson().path("properties");
        Set<String> documented = new HashSet<>();
        props.fieldNames().forEachRemaining(documented::add);
        Set<String> serialized = new HashSet<>();
        JSON.valueToTree(attributed("every field set")).fieldNames().forEachRemaining(serialized::add);
        assertThat(documented).containsExactlyInAnyOrderElementsOf(serialized);
        // and nested objects: every field the record writes is a declared property
        for (String nested :
                List.of("target", "conservation", "faithfulness", "engine", "answer_span", "tokenization", "text")) {
            Set<String> fields = new HashSet<>();
            JSON.valueToTree(attributed()).path(nested).fieldNames().forEachRemaining(fields::add);
            Set<String> declared = new HashSet<>();
            props.path(nested).path("properties").fieldNames().forEachRemaining(declared::add);
            assertThat(declared).as(nested).containsExactlyInAnyOrderElementsOf(fields);
        }
    }

    @Test
    void statusEnumMatchesTheJavaEnum() throws Exception {
        Set<String> schema = new HashSet<>();
        schemaJson().path("properties").path("status").path("enum").forEach(s -> schema.add(s.asText()));
        assertThat(schema)
                .containsExactlyInAnyOrderElementsOf(Arrays.stream(AttributionStatus.values())
                        .map(Enum::name)
                        .toList());
    }
}
