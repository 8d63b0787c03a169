package dev.faultline.pipeline;

import dev.faultline.contract.EvalOutput;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The input key of an incorrect event: sha256 over everything its result is computed from, before the model is
 * touched — model name and revision, prompt, output, references, scoring, the producer's {@code correct}, segments,
 * error hints — and over every setting that shapes a result (method, softmax rule, dtype, thresholds, top-k sizes,
 * the application version). Not in it: event id, run id, benchmark, example id, produced_at and the revision's step,
 * which a result carries from its own event ({@link dev.faultline.contract.AttributionResult.Builder#identity(EvalOutput)}).
 * <p>
 * Two events with the same input key get the same result, so triage can answer a repeated input from Redis
 * ({@code faultline:input:<key>} → the key of the stored result) without a job, a model or a contrast search. The
 * content key ({@code faultline:attr:}) stays the cache of record: it is shared by different inputs that reach the
 * same token ids and pair.
 */
@ApplicationScoped
public class InputKeys {

    @Inject
    AttributionConfig attribution;

    @Inject
    ModelsConfig models;

    @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
    String version;

    private volatile String settings;

    /** The input key of an event (lower-case hex). */
    public String of(EvalOutput event) {
        return of(
                event,
                settings() + "|dtype="
                        + models.dtypeOf(
                                        event.model() == null
                                                ? null
                                                : event.model().name())
                                .label());
    }

    /** The settings part of every key: a change of any of them makes every earlier input key miss. */
    String settings() {
        String s = settings;
        if (s == null) {
            s = String.join(
                    "|",
                    "method=" + attribution.method().label(),
                    "softmax=" + attribution.softmax().label(),
                    "min-logit-diff=" + attribution.minLogitDiff(),
                    "max-contrast-rank="
                            + attribution.maxContrastRank().map(String::valueOf).orElse("-"),
                    "max-input-tokens="
                            + attribution.maxInputTokens().map(String::valueOf).orElse("-"),
                    "faithfulness-k=" + attribution.faithfulnessK(),
                    "faithfulness-margin=" + attribution.faithfulnessMargin(),
                    "top-k=" + attribution.topK(),
                    "top-relevant=" + attribution.topRelevant(),
                    "version=" + version);
            settings = s;
        }
        return s;
    }

    /** The key over an event's inputs and a settings string; length-prefixed fields, so no two inputs collide. */
    static String of(EvalOutput e, String settings) {
        StringBuilder sb = new StringBuilder(256 + length(e.prompt()) + length(e.output()));
        field(sb, settings);
        field(sb, e.model() == null ? null : e.model().name());
        field(
                sb,
                e.model() == null || e.model().revision() == null
                        ? "main"
                        : e.model().revision());
        field(sb, e.prompt());
        field(sb, e.output());
        List<String> refs = e.references();
        field(sb, refs == null ? null : String.valueOf(refs.size()));
        if (refs != null) {
            refs.forEach(r -> field(sb, r));
        }
        field(sb, e.scoring() == null ? null : e.scoring().method());
        field(sb, e.scoring() == null ? null : e.scoring().pattern());
        field(sb, e.correct() == null ? null : e.correct().toString());
        List<EvalOutput.Segment> segs = e.segments();
        field(sb, segs == null ? null : String.valueOf(segs.size()));
        if (segs != null) {
            for (EvalOutput.Segment s : segs) {
                field(sb, s.name());
                field(sb, s.start() + ":" + s.end());
            }
        }
        field(
                sb,
                e.error() == null || e.error().outputCharIndex() == null
                        ? null
                        : e.error().outputCharIndex().toString());
        field(sb, e.error() == null ? null : e.error().contrastText());
        if (e.messages() != null
                || e.extractedAnswer() != null
                || e.promptTokenIds() != null
                || e.outputTokenIds() != null
                || e.addGenerationPrompt() != null
                || e.chatTemplateKwargs() != null) {
            // the additions of docs/contract.md, optional additions; events without them keep their earlier keys
            field(sb, e.messages() == null ? null : canonicalJson(e.messages()));
            field(
                    sb,
                    e.addGenerationPrompt() == null
                            ? null
                            : e.addGenerationPrompt().toString());
            field(sb, e.chatTemplateKwargs() == null ? null : canonicalJson(e.chatTemplateKwargs()));
            field(sb, e.extractedAnswer());
            field(sb, e.promptTokenIds() == null ? null : e.promptTokenIds().toString());
            field(sb, e.outputTokenIds() == null ? null : e.outputTokenIds().toString());
        }
        for (EvalOutput.Segment s : segs == null ? List.<EvalOutput.Segment>of() : segs) {
            if (s.message() != null) {
                field(sb, s.name() + "@" + s.message());
            }
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper CANONICAL =
            new com.fasterxml.jackson.databind.ObjectMapper()
                    .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private static String canonicalJson(Object value) {
        try {
            return CANONICAL.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            return String.valueOf(value);
        }
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    /** {@code -} for null, else {@code <length>:<text>}, then a separator. */
    private static void field(StringBuilder sb, String value) {
        if (value == null) {
            sb.append('-');
        } else {
            sb.append(value.length()).append(':').append(value);
        }
        sb.append('\u0000');
    }
}
