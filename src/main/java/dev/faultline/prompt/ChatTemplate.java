package dev.faultline.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.ext.NamedParameter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.Namespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face chat template ({@code chat_template} of {@code tokenizer_config.json}) rendered with Jinjava the way
 * transformers renders it with jinja2: {@code trim_blocks} and {@code lstrip_blocks} on, {@code tojson} as Python's
 * {@code json.dumps} (separators {@code ", "} and {@code ": "}, non-ASCII kept), {@code raise_exception},
 * {@code strftime_now}, {@code namespace(...)}, the tokenizer's special tokens as variables, and the Python string
 * methods templates call on message fields ({@code .startswith}, {@code .split}, {@code .strip('\n')} ...).
 * <p>
 * Jinjava differs from jinja2 in whitespace control, slicing with a step and Python string methods, so the template
 * source is rewritten once, before Jinjava parses it: whitespace control ({@code -} markers, trim_blocks,
 * lstrip_blocks) is applied to the template text itself, {@code x[::-1]} becomes {@code (x|reverse)} and
 * {@code x.strip(a)} becomes {@code fl_py_strip(x, a)}. Message contents are data: rendered output is never
 * interpreted again. Thread-safe.
 */
public final class ChatTemplate {

    /** Python string and dict methods rewritten to functions of this class (receiver first). */
    private static final Set<String> PY_METHODS = Set.of(
            "startswith",
            "endswith",
            "split",
            "strip",
            "lstrip",
            "rstrip",
            "lower",
            "upper",
            "replace",
            "items",
            "title",
            "capitalize",
            "find",
            "count");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String rewritten;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinjava;

    /**
     * @param source        the template as written in {@code tokenizer_config.json}
     * @param specialTokens variables such as {@code eos_token}, {@code bos_token} (null values are passed as none)
     */
    public ChatTemplate(String source, Map<String, Object> specialTokens) {
        this.source = source;
        this.rewritten = rewriteExpressions(applyWhitespaceControl(source));
        this.specialTokens = specialTokens == null ? Map.of() : new HashMap<>(specialTokens);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        var ctx = jinjava.getGlobalContext();
        // every method the rewrite turns into fl_py_<name>(receiver, args)
        for (String name : PY_METHODS) {
            ctx.registerFunction(
                    new ELFunctionDefinition("", "fl_py_" + name, PyMethods.class, name, Object.class, Object[].class));
        }
        ctx.registerFunction(
                new ELFunctionDefinition("", "namespace", ChatTemplate.class, "namespace", Object[].class));
        ctx.registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", Object.class));
        ctx.registerFunction(
                new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", Object.class));
        ctx.registerFilter(new PythonToJson());
    }

    /**
     * The chat template of a {@code tokenizer_config.json} (the {@code default} one when it holds a list of named
     * templates), or null when the file has none.
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfig) throws IOException {
        JsonNode config = JSON.readTree(Files.readString(tokenizerConfig));
        JsonNode template = config.get("chat_template");
        String text = null;
        if (template != null && template.isTextual()) {
            text = template.asText();
        } else if (template != null && template.isArray()) {
            for (JsonNode t : template) {
                if ("default".equals(t.path("name").asText())
                        && t.path("template").isTextual()) {
                    text = t.get("template").asText();
                }
            }
        }
        if (text == null) {
            Path sibling = tokenizerConfig.resolveSibling("chat_template.jinja");
            if (Files.isRegularFile(sibling)) {
                text = Files.readString(sibling);
            }
        }
        if (text == null) {
            return null;
        }
        Map<String, Object> tokens = new HashMap<>();
        for (String name : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
            JsonNode v = config.get(name);
            if (v != null && v.isTextual()) {
                tokens.put(name, v.asText());
            } else if (v != null && v.isObject() && v.path("content").isTextual()) {
                tokens.put(name, v.get("content").asText());
            }
        }
        return new ChatTemplate(text, tokens);
    }

    /** The template text as given. */
    public String source() {
        return source;
    }

    /** The template after the rewrites Jinjava needs (whitespace control applied, Python methods as functions). */
    String rewritten() {
        return rewritten;
    }

    /**
     * Renders {@code messages} (role/content maps, other fields such as {@code reasoning_content} or
     * {@code tool_calls} passed through). {@code options} are extra template variables ({@code enable_thinking});
     * an option absent from the map is undefined in the template, as with transformers' keyword arguments.
     *
     * @throws ChatTemplateException when the template raises or fails to render
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> options)
            throws ChatTemplateException {
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("messages", messages);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        if (options != null) {
            vars.putAll(options);
        }
        RenderResult result;
        try {
            result = jinjava.renderForResult(rewritten, vars);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + rootMessage(e), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                String message = error.getMessage();
                if (error.getException() != null) {
                    message = rootMessage(error.getException());
                }
                throw new ChatTemplateException("chat template failed: " + message, error.getException());
            }
        }
        return result.getOutput();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            if (t instanceof RaisedException) {
                break;
            }
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** {@code namespace(a=1, b=2)}: a mutable object whose attributes {@code set ns.a = ...} assigns. */
    public static Object namespace(Object... params) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (params != null) {
            for (Object p : params) {
                if (p instanceof NamedParameter n) {
                    values.put(n.getName(), n.getValue());
                } else if (p instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> values.put(String.valueOf(k), v));
                }
            }
        }
        return new Namespace(values);
    }

    /** {@code raise_exception(message)}: stops the render with the template's own message. */
    public static Object raiseException(Object message) {
        throw new RaisedException(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the current local time in a Python strftime format (common directives). */
    public static Object strftimeNow(Object format) {
        java.time.LocalDateTime now = java.time.LocalDateTime.now();
        String f = String.valueOf(format);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c != '%' || i + 1 == f.length()) {
                sb.append(c);
                continue;
            }
            char d = f.charAt(++i);
            String p = switch (d) {
                case 'Y' -> "yyyy";
                case 'm' -> "MM";
                case 'd' -> "dd";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                default -> null;
            };
            sb.append(
                    p == null
                            ? "%" + d
                            : now.format(java.time.format.DateTimeFormatter.ofPattern(p, java.util.Locale.ENGLISH)));
        }
        return sb.toString();
    }

    /** The template's own {@code raise_exception}. */
    static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message);
        }
    }

    /** {@code tojson} as transformers defines it: {@code json.dumps(x, ensure_ascii=False)}. */
    static final class PythonToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            StringBuilder sb = new StringBuilder();
            PyMethods.dumps(var, sb);
            return sb.toString();
        }
    }

    // ---- template rewriting ----

    /**
     * Applies jinja2's whitespace control to the template text: {@code {%-}/{{-}/{#-} strip whitespace before the
     * tag, {@code -%}/-}}/-#}} after it; trim_blocks drops the first newline after a block or comment tag;
     * lstrip_blocks drops spaces and tabs between the start of a line and a block or comment tag ({@code {%+}
     * keeps them). The markers are removed, so Jinjava sees no whitespace control at all.
     */
    static String applyWhitespaceControl(String src) {
        List<Object> parts = new ArrayList<>(); // String = text, Tag = tag
        int i = 0;
        int textStart = 0;
        while (i < src.length()) {
            if (src.charAt(i) == '{' && i + 1 < src.length() && "{%#".indexOf(src.charAt(i + 1)) >= 0) {
                char kind = src.charAt(i + 1);
                if (kind == '%' && isRawStart(src, i)) {
                    int endRaw = findRawEnd(src, i);
                    if (endRaw > 0) {
                        // raw blocks: keep their body as text, apply the markers of the two tags only
                        int openEnd = src.indexOf("%}", i) + 2;
                        parts.add(src.substring(textStart, i));
                        parts.add(Tag.of(src.substring(i, openEnd)));
                        int closeStart = src.lastIndexOf("{%", endRaw - 1);
                        parts.add(new RawText(src.substring(openEnd, closeStart)));
                        parts.add(Tag.of(src.substring(closeStart, endRaw)));
                        i = endRaw;
                        textStart = i;
                        continue;
                    }
                }
                int end = tagEnd(src, i, kind);
                if (end < 0) {
                    break;
                }
                parts.add(src.substring(textStart, i));
                parts.add(Tag.of(src.substring(i, end)));
                i = end;
                textStart = i;
            } else {
                i++;
            }
        }
        parts.add(src.substring(textStart));
        // strip text around tags; whether a tag starts its line is judged on the original text
        List<Object> original = new ArrayList<>(parts);
        for (int k = 0; k < parts.size(); k++) {
            if (!(parts.get(k) instanceof Tag tag)) {
                continue;
            }
            if (k > 0 && parts.get(k - 1) instanceof String before) {
                if (tag.stripBefore) {
                    parts.set(k - 1, rstripWhitespace(before));
                } else if (tag.kind != '{' && !tag.keepBefore && startsLine((String) original.get(k - 1), k - 1 == 0)) {
                    parts.set(k - 1, before.substring(0, lineIndentStart(before)));
                }
            }
            if (k + 1 < parts.size() && parts.get(k + 1) instanceof String after) {
                if (tag.stripAfter) {
                    parts.set(k + 1, lstripWhitespace(after));
                } else if (tag.kind != '{' && !tag.keepAfter) {
                    if (after.startsWith("\r\n")) {
                        parts.set(k + 1, after.substring(2));
                    } else if (after.startsWith("\n") || after.startsWith("\r")) {
                        parts.set(k + 1, after.substring(1));
                    }
                }
            }
        }
        StringBuilder out = new StringBuilder(src.length());
        for (Object p : parts) {
            if (p instanceof Tag t) {
                out.append(t.plain);
            } else if (p instanceof RawText r) {
                out.append(r.text);
            } else {
                out.append((String) p);
            }
        }
        return out.toString();
    }

    private record RawText(String text) {}

    /** Where the trailing spaces and tabs of {@code text} begin. */
    private static int lineIndentStart(String text) {
        int j = text.length();
        while (j > 0 && (text.charAt(j - 1) == ' ' || text.charAt(j - 1) == '\t')) {
            j--;
        }
        return j;
    }

    /**
     * lstrip_blocks applies when only spaces and tabs stand between the start of a line (or of the template) and the
     * tag, in the template as written.
     */
    private static boolean startsLine(String textBefore, boolean atTemplateStart) {
        int j = lineIndentStart(textBefore);
        return j == 0 ? atTemplateStart : textBefore.charAt(j - 1) == '\n' || textBefore.charAt(j - 1) == '\r';
    }

    private static String rstripWhitespace(String s) {
        int j = s.length();
        while (j > 0 && Character.isWhitespace(s.charAt(j - 1))) {
            j--;
        }
        return s.substring(0, j);
    }

    private static String lstripWhitespace(String s) {
        int j = 0;
        while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
            j++;
        }
        return s.substring(j);
    }

    private static boolean isRawStart(String src, int i) {
        int j = i + 2;
        while (j < src.length() && (src.charAt(j) == '-' || src.charAt(j) == '+' || src.charAt(j) == ' ')) {
            j++;
        }
        return src.startsWith("raw", j) && j + 3 < src.length() && !Character.isLetterOrDigit(src.charAt(j + 3));
    }

    /** End (exclusive) of the {@code {% endraw %}} tag closing a raw block starting at {@code i}, or -1. */
    private static int findRawEnd(String src, int i) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%\\}")
                .matcher(src);
        return m.find(i) ? m.end() : -1;
    }

    /** End (exclusive) of the tag starting at {@code i}; string literals inside {@code {{ }}}/{@code {% %}} skipped. */
    private static int tagEnd(String src, int i, char kind) {
        if (kind == '#') {
            int e = src.indexOf("#}", i + 2);
            return e < 0 ? -1 : e + 2;
        }
        String close = kind == '{' ? "}}" : "%}";
        int j = i + 2;
        while (j < src.length()) {
            char c = src.charAt(j);
            if (c == '\'' || c == '"') {
                j = stringEnd(src, j);
                continue;
            }
            if (src.startsWith(close, j)) {
                return j + 2;
            }
            j++;
        }
        return -1;
    }

    private static int stringEnd(String s, int quoteAt) {
        char q = s.charAt(quoteAt);
        int j = quoteAt + 1;
        while (j < s.length() && s.charAt(j) != q) {
            if (s.charAt(j) == '\\') {
                j++;
            }
            j++;
        }
        return Math.min(j + 1, s.length());
    }

    /** One tag with its whitespace markers parsed and removed ({@code plain}). */
    private record Tag(
            char kind, String plain, boolean stripBefore, boolean stripAfter, boolean keepBefore, boolean keepAfter) {

        static Tag of(String text) {
            char kind = text.charAt(1);
            String body = text.substring(2, text.length() - 2);
            boolean stripBefore = body.startsWith("-");
            boolean keepBefore = body.startsWith("+");
            if (stripBefore || keepBefore) {
                body = body.substring(1);
            }
            boolean stripAfter = body.endsWith("-");
            boolean keepAfter = body.endsWith("+");
            if (stripAfter || keepAfter) {
                body = body.substring(0, body.length() - 1);
            }
            char close = kind == '{' ? '}' : kind;
            String open = kind == '{' ? "{{" : "{" + kind;
            String plain = open + body + close + "}";
            if (kind == '{') {
                plain = "{{" + body + "}}";
            }
            return new Tag(kind, plain, stripBefore, stripAfter, keepBefore, keepAfter);
        }
    }

    /**
     * Rewrites the expressions inside {@code {{ }}} and {@code {% %}} tags: {@code recv.method(args)} for the Python
     * methods in {@link #PY_METHODS} becomes {@code fl_py_method(recv, args)}, and {@code recv[::-1]} becomes
     * {@code (recv|reverse)}. Text outside tags and string literals are left alone.
     */
    static String rewriteExpressions(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        while (i < src.length()) {
            int open = nextTag(src, i);
            if (open < 0) {
                out.append(src, i, src.length());
                break;
            }
            char kind = src.charAt(open + 1);
            if (kind == '%' && isRawStart(src, open)) {
                int endRaw = findRawEnd(src, open);
                if (endRaw > 0) {
                    out.append(src, i, endRaw);
                    i = endRaw;
                    continue;
                }
            }
            int end = tagEnd(src, open, kind);
            if (end < 0) {
                out.append(src, i, src.length());
                break;
            }
            out.append(src, i, open + 2);
            String body = src.substring(open + 2, end - 2);
            out.append(kind == '#' ? body : rewriteExpression(body));
            out.append(src, end - 2, end);
            i = end;
        }
        return out.toString();
    }

    private static int nextTag(String src, int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            if ("{%#".indexOf(src.charAt(i + 1)) >= 0) {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    static String rewriteExpression(String expr) {
        String e = parenthesizeKeywordArguments(expr);
        for (int guard = 0; guard < 1000; guard++) {
            String next = rewriteOnce(e);
            if (next.equals(e)) {
                return e;
            }
            e = next;
        }
        return e;
    }

    /**
     * {@code f(a=x - 1)}: Jinjava binds {@code a=x} before the operator; jinja2 binds the whole expression, so each
     * keyword argument's value is put in parentheses.
     */
    private static String parenthesizeKeywordArguments(String e) {
        StringBuilder out = new StringBuilder(e.length() + 8);
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(e, i);
                out.append(e, i, end);
                i = end;
                continue;
            }
            if (c == '(' && i > 0 && (Character.isLetterOrDigit(e.charAt(i - 1)) || e.charAt(i - 1) == '_')) {
                int close = matching(e, i);
                if (close > i) {
                    out.append('(');
                    List<String> args = splitTopLevel(e.substring(i + 1, close));
                    for (int k = 0; k < args.size(); k++) {
                        String a = args.get(k);
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                                        "^(\\s*[A-Za-z_]\\w*\\s*)=(?!=)(.*)$", java.util.regex.Pattern.DOTALL)
                                .matcher(a);
                        out.append(k == 0 ? "" : ",");
                        if (m.matches()) {
                            out.append(m.group(1))
                                    .append("=(")
                                    .append(parenthesizeKeywordArguments(m.group(2)))
                                    .append(')');
                        } else {
                            out.append(parenthesizeKeywordArguments(a));
                        }
                    }
                    out.append(')');
                    i = close + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** Splits at commas outside brackets and string literals. */
    private static List<String> splitTopLevel(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        out.add(s.substring(start));
        return out;
    }

    /** Rewrites the first (leftmost) Python method call or reversing slice outside string literals. */
    private static String rewriteOnce(String e) {
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(e, i);
                continue;
            }
            if (c == '[' && e.startsWith("[::-1]", i)) {
                int recv = receiverStart(e, i);
                if (recv < i) {
                    return e.substring(0, recv) + "(" + e.substring(recv, i) + "|reverse)" + e.substring(i + 6);
                }
            }
            if (c == '.' && i + 1 < e.length() && Character.isLetter(e.charAt(i + 1))) {
                int j = i + 1;
                while (j < e.length() && (Character.isLetterOrDigit(e.charAt(j)) || e.charAt(j) == '_')) {
                    j++;
                }
                String name = e.substring(i + 1, j);
                int k = j;
                while (k < e.length() && e.charAt(k) == ' ') {
                    k++;
                }
                if (PY_METHODS.contains(name) && k < e.length() && e.charAt(k) == '(') {
                    int recv = receiverStart(e, i);
                    int close = matching(e, k);
                    if (recv < i && close > k) {
                        String args = e.substring(k + 1, close).strip();
                        return e.substring(0, recv) + "fl_py_" + name + "(" + e.substring(recv, i)
                                + (args.isEmpty() ? "" : ", " + args) + ")" + e.substring(close + 1);
                    }
                }
            }
            i++;
        }
        return e;
    }

    /** Start of the postfix expression ending just before {@code at}: names, attribute access, calls, indexing. */
    private static int receiverStart(String e, int at) {
        int i = at;
        while (i > 0) {
            char c = e.charAt(i - 1);
            if (c == ')' || c == ']') {
                int open = matchingBackward(e, i - 1);
                if (open < 0) {
                    return at;
                }
                i = open;
            } else if (c == '\'' || c == '"') {
                int open = e.lastIndexOf(c, i - 2);
                if (open < 0) {
                    return at;
                }
                i = open;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else {
                break;
            }
        }
        return i;
    }

    private static int matching(String e, int open) {
        char o = e.charAt(open);
        char c = o == '(' ? ')' : o == '[' ? ']' : '}';
        int depth = 0;
        for (int i = open; i < e.length(); i++) {
            char x = e.charAt(i);
            if (x == '\'' || x == '"') {
                i = stringEnd(e, i) - 1;
                continue;
            }
            if (x == o) {
                depth++;
            } else if (x == c && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static int matchingBackward(String e, int close) {
        char c = e.charAt(close);
        char o = c == ')' ? '(' : '[';
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            char x = e.charAt(i);
            if (x == '\'' || x == '"') {
                int open = e.lastIndexOf(x, i - 1);
                if (open < 0) {
                    return -1;
                }
                i = open;
                continue;
            }
            if (x == c) {
                depth++;
            } else if (x == o && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Python string methods as Jinjava functions (receiver first). */
    public static final class PyMethods {

        private PyMethods() {}

        private static String str(Object o) {
            return o == null ? "None" : o.toString();
        }

        private static Object arg(Object[] args, int i) {
            return args != null && args.length > i ? args[i] : null;
        }

        public static Object startswith(Object s, Object... args) {
            Object p = arg(args, 0);
            if (p instanceof Collection<?> c) {
                return c.stream().anyMatch(x -> str(s).startsWith(str(x)));
            }
            return str(s).startsWith(str(p));
        }

        public static Object endswith(Object s, Object... args) {
            Object p = arg(args, 0);
            if (p instanceof Collection<?> c) {
                return c.stream().anyMatch(x -> str(s).endsWith(str(x)));
            }
            return str(s).endsWith(str(p));
        }

        /** {@code str.split(sep)}: a literal separator, empty pieces kept; without one, runs of whitespace. */
        public static Object split(Object s, Object... args) {
            String text = str(s);
            Object sep = arg(args, 0);
            List<Object> out = new ArrayList<>();
            if (sep == null) {
                for (String p : text.strip().split("\\s+")) {
                    if (!p.isEmpty()) {
                        out.add(p);
                    }
                }
                return out;
            }
            String sp = str(sep);
            int from = 0;
            int at;
            while ((at = text.indexOf(sp, from)) >= 0) {
                out.add(text.substring(from, at));
                from = at + sp.length();
            }
            out.add(text.substring(from));
            return out;
        }

        public static Object strip(Object s, Object... args) {
            return rstrip(lstrip(s, args), args);
        }

        public static Object lstrip(Object s, Object... args) {
            String text = str(s);
            Object chars = arg(args, 0);
            int i = 0;
            while (i < text.length()
                    && (chars == null
                            ? Character.isWhitespace(text.charAt(i))
                            : str(chars).indexOf(text.charAt(i)) >= 0)) {
                i++;
            }
            return text.substring(i);
        }

        public static Object rstrip(Object s, Object... args) {
            String text = str(s);
            Object chars = arg(args, 0);
            int j = text.length();
            while (j > 0
                    && (chars == null
                            ? Character.isWhitespace(text.charAt(j - 1))
                            : str(chars).indexOf(text.charAt(j - 1)) >= 0)) {
                j--;
            }
            return text.substring(0, j);
        }

        public static Object lower(Object s, Object... args) {
            return str(s).toLowerCase(java.util.Locale.ROOT);
        }

        public static Object upper(Object s, Object... args) {
            return str(s).toUpperCase(java.util.Locale.ROOT);
        }

        public static Object title(Object s, Object... args) {
            StringBuilder sb = new StringBuilder();
            boolean start = true;
            for (char c : str(s).toCharArray()) {
                sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = !Character.isLetter(c);
            }
            return sb.toString();
        }

        public static Object capitalize(Object s, Object... args) {
            String t = str(s);
            return t.isEmpty()
                    ? t
                    : Character.toUpperCase(t.charAt(0)) + t.substring(1).toLowerCase(java.util.Locale.ROOT);
        }

        public static Object replace(Object s, Object... args) {
            return str(s).replace(str(arg(args, 0)), str(arg(args, 1)));
        }

        public static Object find(Object s, Object... args) {
            return (long) str(s).indexOf(str(arg(args, 0)));
        }

        public static Object count(Object s, Object... args) {
            String t = str(s);
            String p = str(arg(args, 0));
            if (p.isEmpty()) {
                return (long) t.length() + 1;
            }
            long n = 0;
            for (int at = t.indexOf(p); at >= 0; at = t.indexOf(p, at + p.length())) {
                n++;
            }
            return n;
        }

        /** {@code dict.items()}: [key, value] pairs in the map's order. */
        public static Object items(Object m, Object... args) {
            List<Object> out = new ArrayList<>();
            if (m instanceof Map<?, ?> map) {
                map.forEach((k, v) -> out.add(new ArrayList<>(java.util.Arrays.asList(k, v))));
            }
            return out;
        }

        /** Python's {@code json.dumps(x, ensure_ascii=False)}. */
        static void dumps(Object v, StringBuilder sb) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Boolean b) {
                sb.append(b ? "true" : "false");
            } else if (v instanceof Number n) {
                sb.append(n instanceof Double || n instanceof Float ? pyFloat(n.doubleValue()) : n.toString());
            } else if (v instanceof Map<?, ?> m) {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    quote(String.valueOf(e.getKey()), sb);
                    sb.append(": ");
                    dumps(e.getValue(), sb);
                }
                sb.append('}');
            } else if (v instanceof Collection<?> c) {
                sb.append('[');
                boolean first = true;
                for (Object x : c) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    dumps(x, sb);
                }
                sb.append(']');
            } else if (v instanceof Object[] arr) {
                dumps(List.of(arr), sb);
            } else {
                quote(v.toString(), sb);
            }
        }

        private static String pyFloat(double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e16) {
                return String.valueOf((long) d) + ".0";
            }
            return Double.toString(d);
        }

        private static void quote(String s, StringBuilder sb) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
