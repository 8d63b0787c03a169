package dev.faultline.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A Java process started by a test: a main class of this JVM's class path or the packaged service ({@code -jar}),
 * with its own JVM options, system properties and environment, stdout and stderr appended to one log file. The test
 * side waits for it (a log line, an HTTP URL that answers 200, a port that accepts connections, or any condition),
 * with failure messages that carry the end of the log, and stops it (SIGTERM, then SIGKILL) or kills it (SIGKILL).
 * Closing it stops it.
 */
public final class ChildJvm implements AutoCloseable {

    /** The packaged service (present after {@code package}). */
    public static final Path PACKAGED_JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int TAIL_LINES = 40;

    private final Process process;
    private final Path log;
    private final long logOffset;
    private final long startedNanos;

    private ChildJvm(Process process, Path log, long logOffset, long startedNanos) {
        this.process = process;
        this.log = log;
        this.logOffset = logOffset;
        this.startedNanos = startedNanos;
    }

    /** A JVM running {@code mainClass} from this JVM's class path with {@code args}. */
    public static Builder main(String mainClass, String... args) {
        List<String> target = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        target.addAll(Arrays.asList(args));
        return new Builder(target);
    }

    /** A JVM running {@code mainClass} from this JVM's class path with {@code args}. */
    public static Builder main(Class<?> mainClass, String... args) {
        return main(mainClass.getName(), args);
    }

    /** A JVM running {@code java -jar jar args}, e.g. {@link #PACKAGED_JAR}. */
    public static Builder jar(Path jar, String... args) {
        List<String> target =
                new ArrayList<>(List.of("-jar", jar.toAbsolutePath().toString()));
        target.addAll(Arrays.asList(args));
        return new Builder(target);
    }

    /** What to start: the {@code java} of this JVM's {@code java.home}, then options, properties and the target. */
    public static final class Builder {
        private final List<String> target;
        private final List<String> jvmOptions = new ArrayList<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> unsetEnv = new ArrayList<>();
        private Path directory;
        private Path log;

        private Builder(List<String> target) {
            this.target = target;
        }

        /** {@code -Xmx} of the child, e.g. {@code "512m"}. */
        public Builder heap(String max) {
            jvmOptions.add("-Xmx" + max);
            return this;
        }

        /** JVM options as given, in order (heap, GC, ...). */
        public Builder jvmOptions(List<String> options) {
            jvmOptions.addAll(options);
            return this;
        }

        /** A system property ({@code -Dkey=value}); a later value for the same key wins. */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        public Builder properties(Map<String, String> values) {
            properties.putAll(values);
            return this;
        }

        /** An environment variable of the child (on top of this JVM's environment). */
        public Builder env(String name, String value) {
            unsetEnv.remove(name);
            env.put(name, value);
            return this;
        }

        /** An environment variable of this JVM that the child does not inherit. */
        public Builder withoutEnv(String name) {
            env.remove(name);
            unsetEnv.add(name);
            return this;
        }

        /** The child's working directory (default: this JVM's). */
        public Builder directory(Path dir) {
            directory = dir;
            return this;
        }

        /** The file stdout and stderr are appended to (default: a new temporary file). */
        public Builder log(Path file) {
            log = file;
            return this;
        }

        /** The command line {@link #start} runs. */
        public List<String> command() {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
            cmd.addAll(target);
            return cmd;
        }

        /** Starts the child with its stdin closed. */
        public ChildJvm start() throws IOException {
            Path file = log != null ? log : Files.createTempFile("child-jvm-", ".log");
            long offset = Files.exists(file) ? Files.size(file) : 0;
            ProcessBuilder pb = new ProcessBuilder(command())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(file.toFile()));
            if (directory != null) {
                pb.directory(directory.toFile());
            }
            unsetEnv.forEach(pb.environment()::remove);
            pb.environment().putAll(env);
            long started = System.nanoTime();
            Process p = pb.start();
            p.getOutputStream().close();
            return new ChildJvm(p, file, offset, started);
        }
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** {@link System#nanoTime} just before the process was started. */
    public long startedNanos() {
        return startedNanos;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code timeout} for the process to exit; true when it has. */
    public boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int exitValue() {
        return process.exitValue();
    }

    /** What this start wrote to the log so far (earlier starts with the same log file left out). */
    public String output() {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            if (length <= logOffset) {
                return "";
            }
            byte[] bytes = new byte[Math.toIntExact(length - logOffset)];
            f.seek(logOffset);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The last {@code lines} lines of the log file (for failure messages). */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public String tail() {
        return tail(TAIL_LINES);
    }

    /** pid, alive or exit code, the log file and its tail. */
    public String describe() {
        return "pid " + process.pid() + (process.isAlive() ? " (alive)" : " (exited " + process.exitValue() + ")")
                + ", log " + log + ":\n" + tail();
    }

    /**
     * Polls {@code ready} until it holds; throws, with the log's tail, when the process exits first or after
     * {@code timeout}.
     */
    public ChildJvm awaitReady(String what, BooleanSupplier ready, Duration timeout) {
        await(
                () -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("exited before " + what + ": " + describe());
                    }
                    return ready.getAsBoolean();
                },
                timeout,
                () -> what + ": " + describe());
        return this;
    }

    /** Waits until a line this start wrote to the log contains {@code text}. */
    public ChildJvm awaitLogLine(String text, Duration timeout) {
        return awaitReady(
                "a log line with '" + text + "'", () -> output().lines().anyMatch(l -> l.contains(text)), timeout);
    }

    /** Waits until {@code url} answers 200. */
    public ChildJvm awaitHttp(String url, Duration timeout) {
        return awaitReady(url + " answering 200", () -> answers(url), timeout);
    }

    /** Waits until {@code port} on the loopback address accepts connections. */
    public ChildJvm awaitPort(int port, Duration timeout) {
        return awaitReady("port " + port + " accepting connections", () -> listens(port), timeout);
    }

    /** Whether the process is alive and {@code url} answers a GET with 200 within 3 s. */
    public boolean answers(String url) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            return HTTP.send(
                                    HttpRequest.newBuilder(URI.create(url))
                                            .timeout(Duration.ofSeconds(3))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether {@code port} on the loopback address accepts a connection within 200 ms. */
    public static boolean listens(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** Runs {@code jcmd <pid> command...} of this JVM's {@code java.home} (output discarded), up to 60 s. */
    public void jcmd(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(process.pid())));
        cmd.addAll(Arrays.asList(command));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        p.waitFor(60, TimeUnit.SECONDS);
    }

    /** Sends SIGTERM and returns at once (see {@link #stop} to wait). */
    public void terminate() {
        process.destroy();
    }

    /** SIGTERM, then SIGKILL after 20 s. */
    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** SIGKILL (no shutdown hooks), then waits up to 30 s for the process to be gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the process if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        }
    }

    /** A free TCP port on the loopback address. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Polls {@code done} every 200 ms until it holds; throws with {@code what} after {@code timeout}. */
    public static void await(BooleanSupplier done, Duration timeout, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + ": " + what.get());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
