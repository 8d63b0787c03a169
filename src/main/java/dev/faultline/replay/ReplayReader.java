package dev.faultline.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.EvalOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one replay file into events: {@code v1} files hold {@code faultline.eval-output/v1} events, {@code lm-eval}
 * files lm-evaluation-harness sample logs (converted by {@link LmEvalConverter}). Either may be JSONL or one JSON
 * array. Records that cannot be used come back as bad items with their line number.
 */
public final class ReplayReader {

    /** Input formats. */
    public enum Format {
        V1,
        LM_EVAL;

        /** Parses {@code v1} or {@code lm-eval}. */
        public static Format parse(String s) {
            return switch (s) {
                case "v1" -> V1;
                case "lm-eval", "lm_eval", "lmeval" -> LM_EVAL;
                default -> throw new IllegalArgumentException("unknown --format " + s + " (v1 or lm-eval)");
            };
        }
    }

    /**
     * What to stamp on events.
     *
     * @param modelName  {@code --model}, or null (v1: keep the event's; lm-eval: {@code unknown})
     * @param revision   {@code --revision}, or null ({@code main} for lm-eval)
     * @param runId      {@code --run-id}, or null (v1: keep the event's; lm-eval: {@code model/revision/task})
     * @param task       task name for lm-eval files, or null to read it from the file name
     * @param step       {@code --step}, the revision's training step, or null (v1: keep the event's)
     */
    public record Stamp(String modelName, String revision, String runId, String task, Long step) {

        public Stamp(String modelName, String revision, String runId, String task) {
            this(modelName, revision, runId, task, null);
        }
    }

    private final ObjectMapper json;
    private final LmEvalConverter lmEval;

    public ReplayReader(ObjectMapper json) {
        this.json = json;
        this.lmEval = new LmEvalConverter(json);
    }

    /** Reads {@code file}; throws {@link IOException} only when the file cannot be read at all. */
    public List<ReplayItem> read(Path file, Format format, Stamp stamp) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        List<ReplayItem> out = new ArrayList<>();
        String now = Instant.now().toString();
        LmEvalConverter.Source source = null;
        if (format == Format.LM_EVAL) {
            String task = stamp.task() != null
                    ? stamp.task()
                    : LmEvalConverter.taskFromFileName(file.getFileName().toString());
            if (task == null) {
                throw new IOException("cannot read the task name from the file name " + file.getFileName()
                        + " (expected samples_<task>_<timestamp>.jsonl); give --task");
            }
            String name = stamp.modelName() != null ? stamp.modelName() : "unknown";
            String revision = stamp.revision() != null ? stamp.revision() : "main";
            String runId = stamp.runId() != null ? stamp.runId() : name + "/" + revision + "/" + task;
            source =
                    new LmEvalConverter.Source(task, runId, new EvalOutput.ModelRef(name, revision, stamp.step()), now);
        }
        for (JsonRecords.Raw raw : JsonRecords.split(content, json)) {
            if (raw.error() != null) {
                out.add(ReplayItem.bad(raw.line(), raw.error()));
                continue;
            }
            try {
                EvalOutput event =
                        format == Format.LM_EVAL ? lmEval.convert(raw.node(), source) : v1(raw.node(), stamp, now);
                out.add(ReplayItem.ok(raw.line(), event));
            } catch (IllegalArgumentException e) {
                out.add(ReplayItem.bad(raw.line(), e.getMessage()));
            }
        }
        return out;
    }

    private EvalOutput v1(com.fasterxml.jackson.databind.JsonNode node, Stamp stamp, String now) {
        EvalOutput e;
        try {
            e = json.treeToValue(node, EvalOutput.class);
        } catch (Exception ex) {
            String why = ex.getMessage() == null
                    ? ex.getClass().getSimpleName()
                    : ex.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException("not a v1 event: " + why);
        }
        if (e.schema() != null && !EvalOutput.SCHEMA.equals(e.schema())) {
            throw new IllegalArgumentException("schema is " + e.schema() + ", expected " + EvalOutput.SCHEMA);
        }
        if (e.eventId() == null || e.eventId().isBlank()) {
            throw new IllegalArgumentException("missing event_id");
        }
        if ((e.prompt() == null && !e.hasMessages()) || e.output() == null) {
            throw new IllegalArgumentException("missing prompt or output");
        }
        String runId = stamp.runId() != null ? stamp.runId() : e.runId();
        if (runId == null || runId.isBlank()) {
            throw new IllegalArgumentException("missing run_id (give --run-id)");
        }
        EvalOutput.ModelRef model = e.model();
        if (stamp.modelName() != null) {
            model = new EvalOutput.ModelRef(
                    stamp.modelName(),
                    stamp.revision() != null ? stamp.revision() : model == null ? null : model.revision(),
                    model == null ? null : model.step());
        } else if (stamp.revision() != null && model != null) {
            model = new EvalOutput.ModelRef(model.name(), stamp.revision(), model.step());
        }
        if (stamp.step() != null && model != null) {
            model = new EvalOutput.ModelRef(model.name(), model.revision(), stamp.step());
        }
        if (model == null || model.name() == null) {
            throw new IllegalArgumentException("missing model.name (give --model)");
        }
        return new EvalOutput(
                EvalOutput.SCHEMA,
                e.eventId(),
                runId,
                model,
                e.benchmark(),
                e.exampleId(),
                e.prompt(),
                e.output(),
                e.references(),
                e.scoring(),
                e.correct(),
                e.segments(),
                e.error(),
                e.producedAt() != null ? e.producedAt() : now,
                e.messages(),
                e.addGenerationPrompt(),
                e.chatTemplateKwargs(),
                e.extractedAnswer(),
                e.promptTokenIds(),
                e.outputTokenIds());
    }
}
