package dev.faultline.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.EvalOutput;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns lm-evaluation-harness per-sample log records into v1 events, across the format generations described in
 * {@code shared/data/lm-eval/README.md}: {@code arguments} as a {@code gen_args_N.arg_M} dict, a list of
 * {@code [prompt, kwargs]} requests or a flat {@code [context, continuation]}; responses as native values or strings;
 * targets as strings, numbers or lists; {@code filter}/{@code metrics} present or not. The prompt is the first request's
 * {@code arg_0}, the output the model's whole generation ({@code resps}) with the filter's pick ({@code filtered_resps})
 * as {@code extracted_answer} when the two differ (for log-likelihood multiple choice: the choice with the highest
 * log-likelihood), the verdict the stored per-sample metric (carried as written, never re-derived).
 */
public final class LmEvalConverter {

    /** Record keys that are not metrics (used when a record has no {@code metrics} list). */
    private static final Set<String> KNOWN_FIELDS = Set.of(
            "doc_id",
            "doc",
            "target",
            "arguments",
            "resps",
            "filtered_resps",
            "filter",
            "metrics",
            "doc_hash",
            "prompt_hash",
            "target_hash",
            "task_name",
            "task");

    /** Fields of {@code doc} that hold the question itself, in order of preference, for the {@code question} segment. */
    private static final List<String> QUESTION_FIELDS = List.of("question", "query", "sentence", "problem", "prompt");

    private static final Pattern CURRENT_NAME =
            Pattern.compile("^samples_(?<task>.+)_\\d{4}-\\d{2}-\\d{2}T[\\d\\-.:]+\\.jsonl?$");

    private final ObjectMapper json;

    public LmEvalConverter(ObjectMapper json) {
        this.json = json;
    }

    /** Where an event comes from: task, run and model, and the time stamp to put on it. */
    public record Source(String task, String runId, EvalOutput.ModelRef model, String producedAt) {}

    /**
     * The task name in an lm-eval file name: {@code samples_<task>_<timestamp>.jsonl} (0.4.3 and later) or
     * {@code <model_args>_<task>.jsonl} (older; model args have {@code /} and, from 0.4.0, {@code =} replaced by
     * {@code __}). Returns null when no task can be read from the name.
     */
    public static String taskFromFileName(String fileName) {
        Matcher m = CURRENT_NAME.matcher(fileName);
        if (m.matches()) {
            return m.group("task");
        }
        String stem = fileName.replaceFirst("\\.jsonl?$", "");
        int anchor = Math.max(stem.lastIndexOf("__") + 1, stem.lastIndexOf('='));
        if (anchor <= 0) {
            return null;
        }
        int sep = stem.indexOf('_', anchor + 1);
        return sep < 0 || sep == stem.length() - 1 ? null : stem.substring(sep + 1);
    }

    /** Converts one record; throws {@link IllegalArgumentException} with the reason when it is not a usable sample. */
    public EvalOutput convert(JsonNode record, Source source) {
        JsonNode docIdNode = record.get("doc_id");
        if (docIdNode == null || !(docIdNode.isIntegralNumber() || docIdNode.isTextual())) {
            throw new IllegalArgumentException("missing doc_id");
        }
        String docId = docIdNode.asText();
        String filter = record.path("filter").isTextual() ? record.get("filter").asText() : "none";
        JsonNode doc = record.path("doc");
        List<JsonNode[]> requests = requests(record.get("arguments"));
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("missing arguments (no request to take the prompt from)");
        }
        String prompt = promptText(requests.get(0)[0]);
        List<Map<String, Object>> messages = chatMessages(requests.get(0)[0]);
        JsonNode responses = record.has("filtered_resps") ? record.get("filtered_resps") : record.get("resps");
        if (responses == null || !responses.isArray() || responses.isEmpty()) {
            throw new IllegalArgumentException("missing filtered_resps and resps");
        }
        String output;
        String extracted = null;
        List<String> references;
        String method;
        double[] logLikelihoods = logLikelihoods(responses, record.has("filtered_resps"));
        if (logLikelihoods != null) {
            List<String> choices = choices(requests, doc, logLikelihoods.length);
            int best = 0;
            for (int i = 1; i < logLikelihoods.length; i++) {
                if (logLikelihoods[i] > logLikelihoods[best]) {
                    best = i;
                }
            }
            output = choices.get(best);
            int gold = goldIndex(record.get("target"), doc, choices);
            references = gold >= 0 ? List.of(choices.get(gold)) : List.of();
            method = "choice";
        } else {
            output = generatedText(responses);
            String raw = rawGeneration(record);
            if (raw != null && record.has("filtered_resps") && !raw.equals(output)) {
                // the whole generation is what the model wrote; the filter's pick is the scored answer inside it
                extracted = output;
                output = raw;
            }
            references = generativeReferences(record.get("target"), doc);
            method = scoringMethod(references, record.get("target"));
        }
        String example = source.task() + "/" + docId;
        return new EvalOutput(
                EvalOutput.SCHEMA,
                source.runId() + ":" + example + "/" + filter,
                source.runId(),
                source.model(),
                source.task(),
                example,
                prompt,
                output,
                references,
                new EvalOutput.Scoring(method, null),
                verdict(record),
                segments(prompt, doc),
                null,
                source.producedAt(),
                messages,
                messages == null ? null : Boolean.TRUE,
                null,
                extracted,
                null,
                null);
    }

    /** The requests as {@code [arg_0, arg_1, ...]} arrays, in order. */
    private static List<JsonNode[]> requests(JsonNode arguments) {
        List<JsonNode[]> out = new ArrayList<>();
        if (arguments == null || arguments.isNull()) {
            return out;
        }
        if (arguments.isObject()) {
            List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
            arguments.fields().forEachRemaining(entries::add);
            entries.sort(Comparator.comparingInt(e -> suffix(e.getKey())));
            for (Map.Entry<String, JsonNode> e : entries) {
                JsonNode req = e.getValue();
                if (req.isObject()) {
                    List<Map.Entry<String, JsonNode>> args = new ArrayList<>();
                    req.fields().forEachRemaining(args::add);
                    args.sort(Comparator.comparingInt(a -> suffix(a.getKey())));
                    out.add(args.stream().map(Map.Entry::getValue).toArray(JsonNode[]::new));
                } else if (req.isArray()) {
                    out.add(elements(req));
                }
            }
        } else if (arguments.isArray() && !arguments.isEmpty()) {
            if (arguments.get(0).isArray()) {
                arguments.forEach(req -> out.add(elements(req)));
            } else {
                out.add(elements(arguments)); // pre-0.4.0: one flat [context, continuation]
            }
        }
        out.removeIf(r -> r.length == 0);
        return out;
    }

    private static JsonNode[] elements(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list.toArray(JsonNode[]::new);
    }

    private static int suffix(String key) {
        Matcher m = Pattern.compile("(\\d+)$").matcher(key);
        return m.find() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }

    /**
     * The prompt text of {@code arg_0}: a plain string, or (API chat models) a list holding a JSON-encoded message list,
     * rendered as the message contents (with {@code role:} labels when there are several messages).
     */
    String promptText(JsonNode arg0) {
        JsonNode node = arg0;
        if (node.isArray() && node.size() == 1) {
            node = node.get(0);
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException("prompt (arg_0) is neither a string nor a list of one string");
        }
        String text = node.asText();
        if (arg0.isArray() || text.startsWith("[{\"role\"")) {
            // API chat models: the text is the message contents (the events also carry the messages themselves)
            try {
                JsonNode messages = json.readTree(text);
                if (messages.isArray() && !messages.isEmpty() && messages.get(0).has("content")) {
                    if (messages.size() == 1) {
                        return messages.get(0).path("content").asText();
                    }
                    StringBuilder sb = new StringBuilder();
                    for (JsonNode m : messages) {
                        if (!sb.isEmpty()) {
                            sb.append("\n\n");
                        }
                        sb.append(m.path("role").asText("user"))
                                .append(": ")
                                .append(m.path("content").asText());
                    }
                    return sb.toString();
                }
            } catch (Exception e) {
                // not a message list: the string is the prompt
            }
        }
        return text;
    }

    /**
     * The chat an API chat model was sent ({@code arg_0} holding a JSON-encoded message list), as role/content
     * messages for the model's own chat template; null for a plain prompt.
     */
    List<Map<String, Object>> chatMessages(JsonNode arg0) {
        JsonNode node = arg0.isArray() && arg0.size() == 1 ? arg0.get(0) : arg0;
        if (!node.isTextual() || !node.asText().stripLeading().startsWith("[")) {
            return null;
        }
        try {
            JsonNode list = json.readTree(node.asText());
            if (!list.isArray() || list.isEmpty()) {
                return null;
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (JsonNode m : list) {
                if (!m.isObject() || !m.path("content").isTextual()) {
                    return null;
                }
                Map<String, Object> message = new java.util.LinkedHashMap<>();
                message.put("role", m.path("role").asText("user"));
                message.put("content", m.get("content").asText());
                out.add(message);
            }
            return out;
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Log-likelihoods of a multiple-choice record (each response a {@code [loglikelihood, is_greedy]} pair, as numbers
     * and booleans or as strings), or null for a generative record.
     */
    private static double[] logLikelihoods(JsonNode responses, boolean filtered) {
        double[] out = new double[responses.size()];
        for (int i = 0; i < responses.size(); i++) {
            JsonNode pair = responses.get(i);
            if (!filtered && pair.isArray() && pair.size() == 1) {
                pair = pair.get(0); // resps[i] = [[ll, greedy]]
            }
            if (!pair.isArray() || pair.size() != 2 || !isBoolean(pair.get(1))) {
                return null;
            }
            Double ll = number(pair.get(0));
            if (ll == null) {
                return null;
            }
            out[i] = ll;
        }
        return out;
    }

    private static boolean isBoolean(JsonNode n) {
        return n.isBoolean()
                || (n.isTextual() && (n.asText().equals("True") || n.asText().equals("False")));
    }

    private static Double number(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isTextual()) {
            try {
                return Double.parseDouble(n.asText().strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** Choice texts: the requests' continuations, else {@code doc.choices}, else {@code doc.option1..N}, else indices. */
    private static List<String> choices(List<JsonNode[]> requests, JsonNode doc, int count) {
        List<String> out = new ArrayList<>();
        if (requests.size() == count && requests.stream().allMatch(r -> r.length > 1 && r[1].isTextual())) {
            requests.forEach(r -> out.add(r[1].asText()));
            return out;
        }
        JsonNode docChoices = doc.path("choices");
        if (docChoices.isArray() && docChoices.size() == count) {
            docChoices.forEach(c -> out.add(c.asText()));
            return out;
        }
        if (doc.has("option1")) {
            for (int i = 1; i <= count && doc.has("option" + i); i++) {
                out.add(doc.get("option" + i).asText());
            }
            if (out.size() == count) {
                return out;
            }
            out.clear();
        }
        for (int i = 0; i < count; i++) {
            out.add(String.valueOf(i));
        }
        return out;
    }

    /** Gold choice: {@code target} as an index or a choice text, else {@code doc.gold/label/answer} (1-based for optionN). */
    private static int goldIndex(JsonNode target, JsonNode doc, List<String> choices) {
        Double t = number(target);
        if (t != null && t == Math.floor(t) && t >= 0 && t < choices.size()) {
            return t.intValue();
        }
        if (target != null && target.isTextual()) {
            int i = choices.indexOf(target.asText());
            if (i >= 0) {
                return i;
            }
        }
        boolean oneBased = doc.has("option1") && !doc.has("choices");
        for (String key : List.of("gold", "label", "answer")) {
            Double g = number(doc.get(key));
            if (g != null && g == Math.floor(g)) {
                int i = g.intValue() - (oneBased ? 1 : 0);
                if (i >= 0 && i < choices.size()) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The unfiltered generation ({@code resps}, first response), or null when the record has no text there. */
    private static String rawGeneration(JsonNode record) {
        JsonNode resps = record.get("resps");
        if (resps == null || !resps.isArray() || resps.isEmpty()) {
            return null;
        }
        JsonNode r = resps.get(0);
        while (r.isArray() && !r.isEmpty()) {
            r = r.get(0);
        }
        return r.isTextual() ? r.asText() : null;
    }

    /** The filtered response text (the first one when a record holds several). */
    private static String generatedText(JsonNode responses) {
        JsonNode r = responses.get(0);
        while (r.isArray() && !r.isEmpty()) {
            r = r.get(0);
        }
        if (!r.isTextual()) {
            throw new IllegalArgumentException("response is neither text nor a [loglikelihood, is_greedy] pair");
        }
        return r.asText();
    }

    /**
     * References of a generative record: a GSM8K-style solution ({@code ... #### n}) gives {@code n}; a list target
     * gives the entry at {@code doc.answer}/{@code doc.gold} when that is an index into it, else all entries.
     */
    private static List<String> generativeReferences(JsonNode target, JsonNode doc) {
        if (target == null || target.isNull()) {
            return List.of();
        }
        if (target.isArray()) {
            List<String> all = new ArrayList<>();
            target.forEach(t -> all.add(t.asText()));
            for (String key : List.of("answer", "gold", "label")) {
                JsonNode g = doc.get(key);
                if (g != null && g.isIntegralNumber() && g.asInt() >= 0 && g.asInt() < all.size()) {
                    return List.of(all.get(g.asInt()));
                }
            }
            return all;
        }
        String text = target.asText();
        int hashes = text.lastIndexOf("####");
        if (hashes >= 0) {
            return List.of(text.substring(hashes + 4).strip());
        }
        return List.of(text);
    }

    private static String scoringMethod(List<String> references, JsonNode target) {
        if (target != null && target.isTextual() && target.asText().contains("####")) {
            return "numeric";
        }
        if (!references.isEmpty() && references.stream().allMatch(r -> r.strip().matches("[A-Z]"))) {
            return "choice";
        }
        if (!references.isEmpty()
                && references.stream().allMatch(r -> r.strip().replace(",", "").matches("-?\\d+(\\.\\d+)?"))) {
            return "numeric";
        }
        return "exact";
    }

    /**
     * The stored per-sample metric as a verdict: the first key of {@code metrics} (or, without that list, the first
     * non-standard key) holding a number or boolean; 1 (or more) is correct, 0 (or less) wrong, anything between, or no
     * metric, leaves the verdict to Faultline's own scoring (null).
     */
    static Boolean verdict(JsonNode record) {
        List<String> keys = new ArrayList<>();
        JsonNode metrics = record.get("metrics");
        if (metrics != null && metrics.isArray()) {
            metrics.forEach(m -> keys.add(m.asText()));
        } else {
            Iterator<String> names = record.fieldNames();
            names.forEachRemaining(n -> {
                if (!KNOWN_FIELDS.contains(n)) {
                    keys.add(n);
                }
            });
        }
        for (String key : keys) {
            JsonNode v = record.get(key);
            if (v == null) {
                continue;
            }
            if (v.isBoolean() || (v.isTextual() && isBoolean(v))) {
                return v.isBoolean() ? v.asBoolean() : v.asText().equals("True");
            }
            Double d = number(v);
            if (d != null) {
                return d >= 1.0 ? Boolean.TRUE : d <= 0.0 ? Boolean.FALSE : null;
            }
        }
        return null;
    }

    /** {@code context} (few-shot examples, instructions) and the question itself, when the doc's text is in the prompt. */
    private static List<EvalOutput.Segment> segments(String prompt, JsonNode doc) {
        List<EvalOutput.Segment> out = new ArrayList<>();
        for (String field : QUESTION_FIELDS) {
            JsonNode q = doc.get(field);
            if (q != null && q.isTextual() && !q.asText().isBlank()) {
                int start = prompt.lastIndexOf(q.asText());
                if (start >= 0) {
                    if (start > 0) {
                        out.add(new EvalOutput.Segment("context", 0, start));
                    }
                    out.add(new EvalOutput.Segment(
                            field, start, start + q.asText().length()));
                    break;
                }
            }
        }
        return out.isEmpty() ? null : out;
    }
}
