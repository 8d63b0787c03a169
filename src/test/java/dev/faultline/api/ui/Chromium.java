package dev.faultline.api.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real headless Chromium driven over the DevTools protocol (a WebSocket from {@code java.net.http}: no Selenium):
 * navigate, evaluate JavaScript in the page, take screenshots. {@link #find()} says whether a Chromium is installed
 * ({@code chromium} / {@code chromium-browser} / {@code google-chrome} on the PATH, or {@code -Dfaultline.chromium}).
 */
final class Chromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    /** Every protocol event received, in order (method + params). */
    final List<JsonNode> events = java.util.Collections.synchronizedList(new ArrayList<>());

    private final BlockingQueue<JsonNode> eventQueue = new LinkedBlockingQueue<>();
    private final Map<String, java.util.function.Consumer<JsonNode>> handlers = new ConcurrentHashMap<>();

    static Optional<Path> find() {
        String configured = System.getProperty("faultline.chromium");
        if (configured != null && Files.isExecutable(Path.of(configured))) {
            return Optional.of(Path.of(configured));
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    static Chromium start(Path binary, int width, int height) throws Exception {
        Path profile = Files.createTempDirectory("faultline-chromium");
        List<String> cmd = List.of(
                binary.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height,
                "about:blank");
        Process process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile())
                .start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.currentTimeMillis() + 60_000;
        while (!(Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2)) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                String log = Files.exists(profile.resolve("chromium.log"))
                        ? Files.readString(profile.resolve("chromium.log"))
                        : "";
                process.destroyForcibly();
                throw new IOException("Chromium did not open its DevTools port: " + log);
            }
            Thread.sleep(100);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        HttpClient http = HttpClient.newHttpClient();
        String wsUrl = null;
        while (wsUrl == null && System.currentTimeMillis() < deadline) {
            String list = http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            for (JsonNode t : JSON.readTree(list)) {
                if ("page".equals(t.path("type").asText())) {
                    wsUrl = t.path("webSocketDebuggerUrl").asText();
                    break;
                }
            }
            if (wsUrl == null) {
                Thread.sleep(100);
            }
        }
        if (wsUrl == null) {
            process.destroyForcibly();
            throw new IOException("Chromium shows no page target");
        }
        return new Chromium(process, profile, http, URI.create(wsUrl));
    }

    private Chromium(Process process, Path profile, HttpClient http, URI ws) throws Exception {
        this.process = process;
        this.profile = profile;
        this.socket = http.newWebSocketBuilder()
                .buildAsync(ws, new WebSocket.Listener() {
                    private final StringBuilder buffer = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        buffer.append(data);
                        if (last) {
                            dispatch(buffer.toString());
                            buffer.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                })
                .get(30, TimeUnit.SECONDS);
        send("Page.enable", Map.of());
        send("Runtime.enable", Map.of());
    }

    private void dispatch(String text) {
        try {
            JsonNode msg = JSON.readTree(text);
            if (msg.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
                if (f != null) {
                    if (msg.has("error")) {
                        f.completeExceptionally(new IOException("DevTools error: " + msg.get("error")));
                    } else {
                        f.complete(msg.path("result"));
                    }
                }
            } else {
                events.add(msg);
                eventQueue.add(msg);
                var handler = handlers.get(msg.path("method").asText());
                if (handler != null) { // off the socket thread: a handler may send commands
                    CompletableFuture.runAsync(() -> handler.accept(msg.path("params")));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends one DevTools command and waits for its result. */
    JsonNode send(String method, Map<String, ?> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        synchronized (socket) { // java.net.http allows one outstanding send at a time
            socket.sendText(JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
        }
        return f.get(60, TimeUnit.SECONDS);
    }

    /**
     * Answers every request whose URL ends with {@code suffix} with {@code json} (status 200), in place of the
     * server: lets a test show the page data the server cannot produce yet.
     */
    void fulfil(String suffix, String json) throws Exception {
        handlers.put("Fetch.requestPaused", params -> {
            try {
                String id = params.path("requestId").asText();
                if (params.path("request").path("url").asText().endsWith(suffix)) {
                    send(
                            "Fetch.fulfillRequest",
                            Map.of(
                                    "requestId",
                                    id,
                                    "responseCode",
                                    200,
                                    "responseHeaders",
                                    List.of(Map.of("name", "Content-Type", "value", "application/json")),
                                    "body",
                                    Base64.getEncoder()
                                            .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
                } else {
                    send("Fetch.continueRequest", Map.of("requestId", id));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        send("Fetch.enable", Map.of("patterns", List.of(Map.of("urlPattern", "*" + suffix))));
    }

    /** Opens a URL and waits for its load event. */
    void navigate(String url) throws Exception {
        eventQueue.clear();
        send("Page.navigate", Map.of("url", url));
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            JsonNode e = eventQueue.poll(500, TimeUnit.MILLISECONDS);
            if (e != null && "Page.loadEventFired".equals(e.path("method").asText())) {
                return;
            }
        }
        throw new IOException("no load event for " + url);
    }

    /** Evaluates a JavaScript expression in the page (promises awaited) and returns its JSON value. */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode r =
                send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IOException("script failed: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Polls a boolean expression until it holds. */
    void waitFor(String expression, Duration timeout) throws Exception {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            if (evaluate(expression).asBoolean(false)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("never true in the browser: " + expression);
    }

    /** A PNG of the whole page (beyond the viewport). */
    void screenshot(Path file) throws Exception {
        JsonNode r = send("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
    }

    @Override
    public void close() throws Exception {
        try {
            send("Browser.close", Map.of());
        } catch (Exception e) {
            // already gone
        }
        socket.abort();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
