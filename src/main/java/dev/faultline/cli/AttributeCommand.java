package dev.faultline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.EngineOptions;
import dev.faultline.engine.Faithfulness;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.ModelLoader;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.TokenLogit;
import dev.faultline.engine.TokenizedText;
import dev.faultline.engine.graph.AttributionGraphs;
import dev.faultline.engine.graph.GraphRequest;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code faultline attribute}: one attribution printed as JSON, or many ({@code --input requests.jsonl --output
 * results.jsonl}, one request object per line, {@code id} echoed, each model loaded once, a bad line answered with an
 * error object). Plain Java on the engine: starts no Kafka, Redis or HTTP server.
 */
@Command(
        name = "attribute",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Attributes the logit difference wrong - correct at one position to the input tokens (contrastive "
                    + "AttnLRP) and prints the result as JSON.",
            "Batch: --input FILE --output FILE, one JSON request per line with the option names as fields "
                    + "(\"ids\" an array, \"id\" echoed); the options given here fill in the fields a line leaves "
                    + "out."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {Commands.EXIT_OK, "1:the attribution failed (batch: any line failed)", Commands.EXIT_USAGE})
public final class AttributeCommand implements Callable<Integer> {

    static final String DEFAULT_POSITION = "-1";
    static final String DEFAULT_METHOD = "attnlrp";
    static final String DEFAULT_SOFTMAX = "attnlrp";
    static final String DEFAULT_DTYPE = "float32";
    static final String DEFAULT_DEVICE = "cpu";
    static final String DEFAULT_K = "5";
    static final String DEFAULT_SEED = "0";
    static final String DEFAULT_MARGIN = "0.0";
    static final String DEFAULT_TOP = "10";
    static final String DEFAULT_NODE_THRESHOLD = "" + GraphRequest.DEFAULT_NODE_THRESHOLD;
    static final String DEFAULT_EDGE_MASS = "" + GraphRequest.DEFAULT_EDGE_MASS;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "Model directory (Hugging Face layout: config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Option(
            names = "--ids",
            paramLabel = "ID",
            split = "\\s*,\\s*",
            splitSynopsisLabel = ",",
            description = "Input token ids, comma-separated (e.g. 1,2,3); or give --text.")
    int[] ids;

    @Option(
            names = "--text",
            paramLabel = "TEXT",
            description = "Input text, tokenized with the model's tokenizer (special tokens added).")
    String text;

    @Option(
            names = "--position",
            paramLabel = "N",
            defaultValue = DEFAULT_POSITION,
            description = "Position whose logits are explained; negative counts from the end, -1 = last "
                    + "(default: ${DEFAULT-VALUE}).")
    int position;

    @Option(
            names = "--wrong",
            paramLabel = "ID|TEXT",
            description = "The wrong token: an id, a vocabulary entry (e.g. \u2581Lily) or text (its first token).")
    String wrong;

    @Option(
            names = "--correct",
            paramLabel = "ID|TEXT",
            description = "The correct token, as --wrong; without it the wrong token's logit alone is explained.")
    String correct;

    @Option(
            names = "--method",
            paramLabel = "attnlrp|gradxinput",
            defaultValue = DEFAULT_METHOD,
            description = "Propagation rules: attnlrp, or plain gradient x input (default: ${DEFAULT-VALUE}).")
    Method method;

    @Option(
            names = "--softmax",
            paramLabel = "attnlrp|detach",
            defaultValue = DEFAULT_SOFTMAX,
            description = "Relevance through the attention softmax (default: ${DEFAULT-VALUE}).")
    SoftmaxRule softmax;

    @Option(
            names = "--dtype",
            paramLabel = "float32|float64|float16",
            defaultValue = DEFAULT_DTYPE,
            description = "Floating-point type of the passes (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Option(
            names = "--device",
            paramLabel = "cpu|gpu",
            defaultValue = DEFAULT_DEVICE,
            description = "Where the model runs (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(
            names = "--k",
            paramLabel = "N",
            defaultValue = DEFAULT_K,
            description = "Faithfulness check: drops the k most relevant tokens against k random ones; 0 skips "
                    + "it (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = DEFAULT_SEED,
            description = "Seed of the faithfulness check's random baseline (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--margin",
            paramLabel = "X",
            defaultValue = DEFAULT_MARGIN,
            description = "The check is informative when the top drop exceeds the random drop by more than "
                    + "this (default: ${DEFAULT-VALUE}).")
    double margin;

    @Option(
            names = "--top",
            paramLabel = "N",
            defaultValue = DEFAULT_TOP,
            description = "Top tokens by logit listed in the result (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(
            names = "--graph",
            paramLabel = "true|false",
            arity = "0..1",
            fallbackValue = "true",
            defaultValue = "false",
            description = "Adds the cross-layer attribution graph.")
    boolean graph;

    @Option(
            names = "--node-threshold",
            paramLabel = "X",
            defaultValue = DEFAULT_NODE_THRESHOLD,
            description = "Graph: nodes with |R| above this share of the logit difference get rows "
                    + "(default: ${DEFAULT-VALUE}).")
    double nodeThreshold;

    @Option(
            names = "--edge-mass",
            paramLabel = "X",
            defaultValue = DEFAULT_EDGE_MASS,
            description = "Graph: per sub-layer, the smallest edge set holding this share of the total weight "
                    + "is kept, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double edgeMass;

    @Option(names = "--input", paramLabel = "FILE", description = "Batch: JSONL file of requests.")
    Path input;

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description = "Batch: JSONL file of results, one line per request.")
    Path output;

    private final Terminal terminal;

    public AttributeCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    /** Runs the command with {@code args} (as after {@code faultline attribute}); returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Commands.execute(AttributeCommand.class, new Terminal(out, err, false), args);
    }

    @Override
    public Integer call() {
        PrintStream err = terminal.err();
        if (input != null && output == null) {
            throw Commands.usageError(spec, "--input needs --output");
        }
        try (Session session = new Session()) {
            if (input != null) {
                return session.batch(input, output, given(), err);
            }
            ObjectNode request = JSON.createObjectNode();
            given().forEach(request::put);
            try {
                terminal.out().println(JSON.writeValueAsString(session.attribute(request, Map.of())));
                return Commands.OK;
            } catch (RuntimeException e) {
                err.println("attribution failed: " + e.getMessage());
                return isUsage(e) ? Commands.USAGE : Commands.FAILED;
            }
        } catch (IOException e) {
            err.println("I/O error: " + e.getMessage());
            return Commands.FAILED;
        }
    }

    /** The options as request fields (the names of the JSONL batch format). */
    private Map<String, String> given() {
        Map<String, String> o = new LinkedHashMap<>();
        if (model != null) {
            o.put("model", model.toString());
        }
        if (ids != null) {
            o.put("ids", Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        if (text != null) {
            o.put("text", text);
        }
        o.put("position", Integer.toString(position));
        if (wrong != null) {
            o.put("wrong", wrong);
        }
        if (correct != null) {
            o.put("correct", correct);
        }
        o.put("method", method.label());
        o.put("softmax", softmax.label());
        o.put("dtype", dtype.label());
        o.put("device", device.label());
        o.put("k", Integer.toString(k));
        o.put("seed", Long.toString(seed));
        o.put("margin", Double.toString(margin));
        o.put("top", Integer.toString(top));
        o.put("graph", Boolean.toString(graph));
        o.put("node-threshold", Double.toString(nodeThreshold));
        o.put("edge-mass", Double.toString(edgeMass));
        return o;
    }

    private static boolean isUsage(RuntimeException e) {
        return e instanceof IllegalArgumentException && !(e instanceof NumberFormatException);
    }

    /** The engine and the models loaded for one run, each model once per dtype and device. */
    private static final class Session implements AutoCloseable {

        private final AttributionEngine engine = new AttributionEngine(1);
        private final Map<String, LanguageModel> models = new HashMap<>();

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
            return failed == 0 ? Commands.OK : Commands.FAILED;
        }

        /** Attributes one request (fields as on the command line); {@code defaults} fill absent fields. */
        ObjectNode attribute(ObjectNode r, Map<String, String> defaults) {
            String modelDir = text(r, "model", defaults);
            if (modelDir == null) {
                throw new IllegalArgumentException("model is required");
            }
            DType dtype = DType.parse(or(text(r, "dtype", defaults), DEFAULT_DTYPE));
            Device device = Device.parse(or(text(r, "device", defaults), DEFAULT_DEVICE));
            LanguageModel model = models.computeIfAbsent(
                    modelDir + "|" + dtype + "|" + device,
                    k -> ModelLoader.load(
                            Path.of(modelDir), dtype, device, Long.MAX_VALUE, EngineOptions.from(System::getProperty)));
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
            int position = Integer.parseInt(or(text(r, "position", defaults), DEFAULT_POSITION));
            AttributionRequest request = new AttributionRequest(
                    ids,
                    position,
                    wrong,
                    correct,
                    Method.parse(or(text(r, "method", defaults), DEFAULT_METHOD)),
                    SoftmaxRule.parse(or(text(r, "softmax", defaults), DEFAULT_SOFTMAX)),
                    Integer.parseInt(or(text(r, "k", defaults), DEFAULT_K)),
                    Long.parseLong(or(text(r, "seed", defaults), DEFAULT_SEED)),
                    Double.parseDouble(or(text(r, "margin", defaults), DEFAULT_MARGIN)),
                    Integer.parseInt(or(text(r, "top", defaults), DEFAULT_TOP)));
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
                    arr.addObject()
                            .put("text", tokens.tokens()[i])
                            .put("start", tokens.starts()[i])
                            .put("end", tokens.ends()[i])
                            .put("special", tokens.special()[i])
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
            o.putObject("conservation")
                    .put("input_sum", a.inputRelevanceSum())
                    .put("bias_absorbed", a.biasTotal())
                    .put("softmax_absorbed", a.softmaxAbsorbedTotal())
                    .put("residual", a.identityResidual());
            ArrayNode top = o.putArray("top_tokens");
            for (TokenLogit t : a.topTokens()) {
                top.addObject().put("id", t.id()).put("text", t.text()).put("logit", t.logit());
            }
            Faithfulness f = a.faithfulness();
            if (f != null) {
                o.putObject("faithfulness")
                        .put("k", f.k())
                        .put("drop_top", f.dropTop())
                        .put("drop_random", f.dropRandom())
                        .put("margin", f.margin())
                        .put("informative", f.informative())
                        .<ObjectNode>set("top_indices", JSON.valueToTree(f.topIndices()))
                        .set("random_indices", JSON.valueToTree(f.randomIndices()));
            }
            o.putObject("engine")
                    .put("rules", a.method().label())
                    .put("softmax", a.softmax().label())
                    .put("dtype", a.dtype().label())
                    .put("device", a.device());
            o.set("timings_ms", JSON.valueToTree(a.timingsMs()));
            if (Boolean.parseBoolean(or(text(r, "graph", defaults), "false"))) {
                GraphRequest g = GraphRequest.of(
                        request,
                        Double.parseDouble(or(text(r, "node-threshold", defaults), DEFAULT_NODE_THRESHOLD)),
                        Double.parseDouble(or(text(r, "edge-mass", defaults), DEFAULT_EDGE_MASS)));
                o.set("graph", JSON.valueToTree(AttributionGraphs.build(engine, model, g, null)));
            }
            return o;
        }

        @Override
        public void close() {
            engine.close();
            models.values().forEach(LanguageModel::close);
        }
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
}
