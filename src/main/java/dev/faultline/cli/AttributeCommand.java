package dev.faultline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.DType;
import dev.faultline.engine.Faithfulness;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.TokenLogit;
import dev.faultline.engine.TokenizedText;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code faultline attribute}: one attribution printed as JSON, or many ({@code --input requests.jsonl --output
 * results.jsonl}, one request object per line, {@code id} echoed, each model loaded once, a bad line answered with an
 * error object). Plain Java on the engine: starts no Kafka, Redis or HTTP server.
 */
public final class AttributeCommand implements AutoCloseable {

    static final String USAGE = "usage: attribute --model DIR (--ids 1,2,3 | --text \"...\") [--position -1] "
            + "--wrong ID|TEXT [--correct ID|TEXT] [--method attnlrp|gradxinput] [--softmax attnlrp|detach] "
            + "[--dtype float32|float64] [--device cpu|gpu] [--k 5] [--seed 0] [--margin 0.0] [--top 10]\n"
            + "       attribute --input requests.jsonl --output results.jsonl [--model DIR] [defaults as above]";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final AttributionEngine engine = new AttributionEngine(1);
    private final Map<String, LanguageModel> models = new HashMap<>();

    /** Runs the command; returns the exit code (0 ok, 1 failed attribution, 2 bad usage). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> opts;
        try {
            opts = parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try (AttributeCommand cmd = new AttributeCommand()) {
            if (opts.containsKey("input")) {
                if (!opts.containsKey("output")) {
                    err.println("--input needs --output");
                    return 2;
                }
                return cmd.batch(Path.of(opts.get("input")), Path.of(opts.get("output")), opts, err);
            }
            ObjectNode request = JSON.createObjectNode();
            opts.forEach(request::put);
            try {
                out.println(JSON.writeValueAsString(cmd.attribute(request, opts)));
                return 0;
            } catch (RuntimeException e) {
                err.println("attribution failed: " + e.getMessage());
                return isUsage(e) ? 2 : 1;
            }
        } catch (IOException e) {
            err.println("I/O error: " + e.getMessage());
            return 1;
        }
    }

    private static boolean isUsage(RuntimeException e) {
        return e instanceof IllegalArgumentException && !(e instanceof NumberFormatException);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value, got '" + a + "'");
            }
            opts.put(a.substring(2), args[++i]);
        }
        return opts;
    }

    private int batch(Path input, Path output, Map<String, String> defaults, PrintStream err) throws IOException {
        int failed = 0;
        int n = 0;
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
                BufferedWriter out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                n++;
                ObjectNode result;
                JsonNode request = null;
                try {
                    request = JSON.readTree(line);
                    if (request == null || !request.isObject()) {
                        throw new IllegalArgumentException("line is not a JSON object");
                    }
                    result = attribute((ObjectNode) request, defaults);
                } catch (IOException | RuntimeException e) {
                    failed++;
                    result = JSON.createObjectNode();
                    if (request != null && request.has("id")) {
                        result.set("id", request.get("id"));
                    }
                    result.put("line", n);
                    result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                out.write(JSON.writeValueAsString(result));
                out.newLine();
            }
        }
        err.println("attributed " + (n - failed) + " of " + n + " requests, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    /** Attributes one request (fields as on the command line); {@code defaults} fill absent fields. */
    ObjectNode attribute(ObjectNode r, Map<String, String> defaults) {
        String modelDir = text(r, "model", defaults);
        if (modelDir == null) {
            throw new IllegalArgumentException("model is required");
        }
        DType dtype = DType.parse(or(text(r, "dtype", defaults), "float32"));
        String device = or(text(r, "device", defaults), "cpu");
        LanguageModel model = models.computeIfAbsent(modelDir + "|" + dtype + "|" + device,
                k -> ModelLoader.load(Path.of(modelDir), dtype, device));
        TokenizedText tokens = null;
        int[] ids;
        if (r.hasNonNull("ids")) {
            ids = ids(r.get("ids"));
        } else if (text(r, "text", defaults) != null) {
            tokens = model.tokenizer().encode(text(r, "text", defaults), true);
            ids = tokens.ids();
        } else {
            throw new IllegalArgumentException("ids or text is required");
        }
        String wrongSpec = text(r, "wrong", defaults);
        if (wrongSpec == null) {
            throw new IllegalArgumentException("wrong is required");
        }
        int wrong = token(model, wrongSpec);
        String correctSpec = text(r, "correct", defaults);
        Integer correct = correctSpec == null ? null : token(model, correctSpec);
        int position = Integer.parseInt(or(text(r, "position", defaults), "-1"));
        AttributionRequest request = new AttributionRequest(ids, position, wrong, correct,
                Method.parse(or(text(r, "method", defaults), "attnlrp")),
                SoftmaxRule.parse(or(text(r, "softmax", defaults), "attnlrp")),
                Integer.parseInt(or(text(r, "k", defaults), "5")), Long.parseLong(or(text(r, "seed", defaults), "0")),
                Double.parseDouble(or(text(r, "margin", defaults), "0.0")),
                Integer.parseInt(or(text(r, "top", defaults), "10")));
        Attribution a = engine.attribute(model, request);
        ObjectNode o = JSON.createObjectNode();
        if (r.has("id")) {
            o.set("id", r.get("id"));
        }
        o.put("model", modelDir);
        o.set("ids", JSON.valueToTree(ids));
        if (tokens != null) {
            ArrayNode arr = o.putArray("tokens");
            for (int i = 0; i < tokens.size(); i++) {
                arr.addObject().put("text", tokens.tokens()[i]).put("start", tokens.starts()[i])
                        .put("end", tokens.ends()[i]).put("special", tokens.special()[i])
                        .put("relevance", a.inputRelevance()[i]);
            }
        }
        o.put("position", a.position());
        o.set("wrong", tokenNode(model, a.wrong()));
        o.set("correct", a.correct() == null ? null : tokenNode(model, a.correct()));
        o.put("logit_wrong", a.logitWrong());
        if (a.logitCorrect() != null) {
            o.put("logit_correct", a.logitCorrect());
        }
        o.put("logit_diff", a.logitDiff());
        o.put("contrast_rank", a.contrastRank());
        o.set("input_relevance", JSON.valueToTree(a.inputRelevance()));
        o.set("position_relevance", JSON.valueToTree(a.positionRelevance()));
        o.set("layer_input_relevance", JSON.valueToTree(a.layerInputRelevance()));
        o.set("post_attention_relevance", JSON.valueToTree(a.postAttentionRelevance()));
        o.set("final_residual_relevance", JSON.valueToTree(a.finalResidualRelevance()));
        ObjectNode bias = o.putObject("bias_relevance");
        bias.put("total", a.biasTotal());
        bias.set("per_layer", JSON.valueToTree(a.biasPerLayer()));
        ObjectNode soft = o.putObject("softmax");
        soft.put("absorbed_total", a.softmaxAbsorbedTotal());
        soft.set("absorbed_per_layer", JSON.valueToTree(a.softmaxAbsorbedPerLayer()));
        o.putObject("conservation").put("input_sum", a.inputRelevanceSum()).put("bias_absorbed", a.biasTotal())
                .put("softmax_absorbed", a.softmaxAbsorbedTotal()).put("residual", a.identityResidual());
        ArrayNode top = o.putArray("top_tokens");
        for (TokenLogit t : a.topTokens()) {
            top.addObject().put("id", t.id()).put("text", t.text()).put("logit", t.logit());
        }
        Faithfulness f = a.faithfulness();
        if (f != null) {
            o.putObject("faithfulness").put("k", f.k()).put("drop_top", f.dropTop())
                    .put("drop_random", f.dropRandom()).put("margin", f.margin()).put("informative", f.informative())
                    .<ObjectNode>set("top_indices", JSON.valueToTree(f.topIndices()))
                    .set("random_indices", JSON.valueToTree(f.randomIndices()));
        }
        o.putObject("engine").put("rules", a.method().label()).put("softmax", a.softmax().label())
                .put("dtype", a.dtype().label()).put("device", a.device());
        o.set("timings_ms", JSON.valueToTree(a.timingsMs()));
        return o;
    }

    private static ObjectNode tokenNode(LanguageModel m, int id) {
        ObjectNode n = JSON.createObjectNode().put("id", id);
        if (m.hasTokenizer()) {
            n.put("text", m.tokenizer().tokenText(id));
        }
        return n;
    }

    /** A token given as an id, as a vocabulary entry (e.g. {@code ▁Sue}), or as text (its first token). */
    static int token(LanguageModel m, String spec) {
        if (spec.matches("-?\\d+")) {
            return Integer.parseInt(spec);
        }
        if (!m.hasTokenizer()) {
            throw new IllegalArgumentException("token '" + spec + "' is not an id and the model has no tokenizer");
        }
        int id = m.tokenizer().tokenId(spec);
        if (id >= 0) {
            return id;
        }
        TokenizedText t = m.tokenizer().encode(spec, false);
        if (t.size() > 1 && (t.tokens()[0].equals("\u2581") || t.tokens()[0].equals("\u0120"))) {
            // SentencePiece adds its own word-start marker: " little" would become "▁" + "▁little"
            t = m.tokenizer().encode(spec.strip(), false);
        }
        for (int i = 0; i < t.size(); i++) {
            if (!t.special()[i]) {
                return t.ids()[i];
            }
        }
        throw new IllegalArgumentException("text '" + spec + "' encodes to no token");
    }

    private static int[] ids(JsonNode n) {
        if (n.isTextual()) {
            String[] parts = n.asText().split(",");
            int[] ids = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                ids[i] = Integer.parseInt(parts[i].trim());
            }
            return ids;
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException("ids must be an array or a comma-separated string");
        }
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!n.get(i).canConvertToInt()) {
                throw new IllegalArgumentException("ids[" + i + "] is not an integer: " + n.get(i));
            }
            ids[i] = n.get(i).asInt();
        }
        return ids;
    }

    private static String text(ObjectNode r, String key, Map<String, String> defaults) {
        JsonNode v = r.get(key);
        if (v != null && !v.isNull()) {
            return v.asText();
        }
        return defaults.get(key);
    }

    private static String or(String v, String def) {
        return v == null ? def : v;
    }

    @Override
    public void close() {
        engine.close();
        models.values().forEach(LanguageModel::close);
    }
}
