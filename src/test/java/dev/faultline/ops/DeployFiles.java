package dev.faultline.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Test helper: reads the deployment files (dashboards, rules) and pulls PromQL and metric names out of them. */
final class DeployFiles {

    static final Path DASHBOARDS = Path.of("grafana/dashboards");
    static final Path RULES = Path.of("grafana/alerts/faultline-rules.yaml");
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** PromQL keywords, operators and aggregation modifiers that look like identifiers. */
    private static final Set<String> KEYWORDS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "bool",
            "and",
            "or",
            "unless",
            "offset",
            "atan2",
            "inf",
            "nan",
            "le",
            "start",
            "end");

    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private DeployFiles() {}

    record Expr(String source, String expr) {}

    static List<Path> dashboards() {
        try (Stream<Path> s = Files.list(DASHBOARDS)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": " + e.getMessage(), e);
        }
    }

    static JsonNode yaml(Path p) {
        try {
            return YAML.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": " + e.getMessage(), e);
        }
    }

    /** Every panel of a dashboard, including those nested in collapsed rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    /** Every {@code targets[].expr} of every dashboard panel. */
    static List<Expr> dashboardExprs() {
        List<Expr> out = new ArrayList<>();
        for (Path file : dashboards()) {
            for (JsonNode panel : panels(json(file))) {
                for (JsonNode t : panel.path("targets")) {
                    if (t.hasNonNull("expr")) {
                        out.add(new Expr(
                                file.getFileName() + " panel "
                                        + panel.path("id").asText() + " \""
                                        + panel.path("title").asText() + "\" "
                                        + t.path("refId").asText(),
                                t.get("expr").asText()));
                    }
                }
            }
        }
        return out;
    }

    /** Every {@code label_values(metric..., label)} query of the dashboards' template variables. */
    static List<Expr> variableQueries() {
        List<Expr> out = new ArrayList<>();
        for (Path file : dashboards()) {
            for (JsonNode v : json(file).path("templating").path("list")) {
                JsonNode q = v.path("query");
                String text = q.isTextual() ? q.asText() : q.path("query").asText();
                Matcher m = Pattern.compile("label_values\\((.*),\\s*\\w+\\)").matcher(text);
                if (m.matches()) {
                    out.add(new Expr(
                            file.getFileName() + " variable " + v.path("name").asText(), m.group(1)));
                }
            }
        }
        return out;
    }

    /** The {@code expr} of every rule (record and alert) of the rules file. */
    static List<Expr> ruleExprs() {
        List<Expr> out = new ArrayList<>();
        for (JsonNode g : yaml(RULES).path("groups")) {
            for (JsonNode r : g.path("rules")) {
                String name = r.has("alert")
                        ? r.get("alert").asText()
                        : r.get("record").asText();
                out.add(new Expr("rule " + name, r.get("expr").asText()));
            }
        }
        return out;
    }

    /** Names recorded by the rules file (they are not on /q/metrics but may be used by alerts and dashboards). */
    static Set<String> recordedNames() {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode g : yaml(RULES).path("groups")) {
            for (JsonNode r : g.path("rules")) {
                if (r.has("record")) {
                    out.add(r.get("record").asText());
                }
            }
        }
        return out;
    }

    /** Replaces Grafana's variables so that promtool can parse the expression. */
    static String withoutGrafanaVariables(String expr) {
        return expr.replace("$__rate_interval", "5m")
                .replace("$__interval", "1m")
                .replace("$__range", "1h")
                .replaceAll("\\$\\{?\\w+\\}?", ".*");
    }

    /**
     * Metric names an expression selects: identifiers outside strings, label matchers, ranges and label lists,
     * that are neither functions, keywords nor numbers.
     */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // range / subquery durations
                .replaceAll("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> out = new LinkedHashSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String name = m.group();
            int after = m.end();
            while (after < s.length() && Character.isWhitespace(s.charAt(after))) {
                after++;
            }
            boolean call = after < s.length() && s.charAt(after) == '(';
            boolean partOfNumber =
                    m.start() > 0 && (Character.isDigit(s.charAt(m.start() - 1)) || s.charAt(m.start() - 1) == '.');
            if (!call && !partOfNumber && !KEYWORDS.contains(name.toLowerCase())) {
                out.add(name);
            }
        }
        return out;
    }

    /** Runs a command, returning exit code and merged output; fails the test on a hang. */
    static Run exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    record Run(int code, String output) {}

    /** True when {@code tool} is an executable on the PATH. */
    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
