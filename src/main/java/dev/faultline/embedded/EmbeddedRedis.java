package dev.faultline.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import redis.embedded.RedisServer;

/**
 * A real Redis server (the binary bundled by {@code com.github.codemonstur:embedded-redis}) as a child process on a
 * free local port, without persistence.
 */
public final class EmbeddedRedis implements AutoCloseable {

    private final RedisServer server;
    private final int port;
    private final Path dir;

    private EmbeddedRedis(RedisServer server, int port, Path dir) {
        this.server = server;
        this.port = port;
        this.dir = dir;
    }

    /** Starts the server and returns once it answers {@code PING}. */
    public static EmbeddedRedis start() {
        int port = FreePorts.next();
        try {
            Path dir = Files.createTempDirectory("faultline-redis-");
            RedisServer server = RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .setting("dir " + dir.toAbsolutePath())
                    .soutListener(line -> {})
                    .serrListener(line -> {})
                    .onShutdownForceStop(true)
                    .build();
            server.start();
            EmbeddedRedis redis = new EmbeddedRedis(server, port, dir);
            redis.awaitPong();
            return redis;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Redis server on port " + port, e);
        }
    }

    /** The value for {@code quarkus.redis.hosts}. */
    public String hosts() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    private void awaitPong() throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                socket.setSoTimeout(1000);
                OutputStream out = socket.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[7];
                int n = in.read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IOException("embedded Redis on port " + port + " did not answer PING", last);
    }

    /** Stops the server process, keeping its port (tests: Redis outage). */
    public void stopServer() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server again on the same port after {@link #stopServer()} and waits for PONG. */
    public void restartServer() {
        try {
            server.start();
            awaitPong();
        } catch (IOException e) {
            throw new UncheckedIOException("could not restart the embedded Redis server on port " + port, e);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: a temp directory
            }
        }
    }
}
