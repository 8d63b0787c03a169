package dev.faultline.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.compare.CompareIndex;
import dev.faultline.embedded.EmbeddedRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.runtime.datasource.BlockingRedisDataSourceImpl;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisAPI;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The fleet index writer's Redis side outside Quarkus: {@link RunIndex} with its {@link CheckpointIndex} and a
 * {@link CompareIndex} read model, on a Redis client that reaches a real embedded Redis through {@link Proxy}, which
 * counts network round trips (and can add a delay to each, as a network between pod and Redis would).
 */
final class IndexWriter implements AutoCloseable {

    final EmbeddedRedis server;
    final Proxy proxy;
    final Vertx vertx;
    final Redis client;
    final RedisDataSource redis;
    final RunIndex runs;
    final CheckpointIndex checkpoints;
    final CompareIndex compare;

    IndexWriter(long delayMicros, int maxExamples) {
        server = EmbeddedRedis.start();
        proxy = new Proxy(server.port(), delayMicros);
        vertx = Vertx.vertx();
        client = Redis.createClient(vertx, "redis://127.0.0.1:" + proxy.port());
        redis = new BlockingRedisDataSourceImpl(vertx, client, RedisAPI.api(client), Duration.ofSeconds(10));
        ObjectMapper json = new ObjectMapper().findAndRegisterModules();
        Duration ttl = Duration.ofDays(30);
        compare = new CompareIndex(redis);
        set(compare, "json", json);
        set(compare, "meters", new SimpleMeterRegistry());
        set(compare, "ttl", ttl);
        set(compare, "maxExamples", maxExamples);
        checkpoints = new CheckpointIndex(redis);
        set(checkpoints, "json", json);
        set(checkpoints, "ttl", ttl);
        set(checkpoints, "timeout", Duration.ofSeconds(10));
        runs = new RunIndex(redis);
        set(runs, "json", json);
        set(runs, "ttl", ttl);
        set(runs, "timeout", Duration.ofSeconds(10));
        set(runs, "listeners", List.of());
        set(runs, "checkpoints", checkpoints);
        set(runs, "readModels", List.<RunIndex.ReadModel>of(compare));
    }

    /** Sets an injected field (one the class does not have is left alone). */
    private static void set(Object target, String name, Object value) {
        try {
            Field f = target.getClass().getDeclaredField(name);
            f.setAccessible(true);
            f.set(target, value);
        } catch (NoSuchFieldException e) {
            // not a field of this version of the class
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Round trips made by {@code action}, after one {@code PING} that opens the pooled connection. */
    long roundTrips(Runnable action) {
        redis.execute("PING");
        long before = proxy.roundTrips();
        action.run();
        return proxy.roundTrips() - before;
    }

    @Override
    public void close() {
        client.close();
        vertx.closeAndAwait();
        proxy.close();
        server.close();
    }

    /**
     * A TCP relay in front of Redis. A round trip starts when a connection's client sends after having been answered
     * (a pipeline's commands, written at once, make one); {@code delayMicros} is waited at the start of each.
     */
    static final class Proxy implements AutoCloseable {

        private final ServerSocket listener;
        private final long delayNanos;
        private final AtomicLong roundTrips = new AtomicLong();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        Proxy(int redisPort, long delayMicros) {
            this.delayNanos = delayMicros * 1000;
            try {
                listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread accept = new Thread(() -> accept(redisPort), "redis-proxy-accept");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        long roundTrips() {
            return roundTrips.get();
        }

        private void accept(int redisPort) {
            while (!listener.isClosed()) {
                try {
                    Socket in = listener.accept();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), redisPort);
                    in.setTcpNoDelay(true);
                    out.setTcpNoDelay(true);
                    sockets.add(in);
                    sockets.add(out);
                    boolean[] answered = {true};
                    Object turn = new Object();
                    start(() -> relay(in, out, () -> {
                        synchronized (turn) {
                            if (answered[0]) {
                                answered[0] = false;
                                roundTrips.incrementAndGet();
                                if (delayNanos > 0) {
                                    LockSupport.parkNanos(delayNanos);
                                }
                            }
                        }
                    }));
                    start(() -> relay(out, in, () -> {
                        synchronized (turn) {
                            answered[0] = true;
                        }
                    }));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void start(Runnable r) {
            Thread t = new Thread(r, "redis-proxy-relay");
            t.setDaemon(true);
            t.start();
        }

        /** Copies {@code from} to {@code to}, calling {@code beforeWrite} before each chunk it passes on. */
        private static void relay(Socket from, Socket to, Runnable beforeWrite) {
            byte[] buf = new byte[1 << 16];
            try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    beforeWrite.run();
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        @Override
        public void close() {
            try {
                listener.close();
            } catch (IOException ignored) {
                // closing
            }
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    static Map<String, String> hash(RedisDataSource redis, String key) {
        return redis.hash(String.class).hgetall(key);
    }
}
