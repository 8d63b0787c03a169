package dev.faultline.store;

import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Redis commands pipelined on one pooled connection: written together and answered together, one network round trip
 * for the lot ({@code Redis.batch}). Redis runs them in order; the batch fails with the first error reply, after
 * Redis has run every command in it.
 */
final class RedisBatch {

    private final Redis redis;
    private final Duration timeout;
    private final List<Request> requests = new ArrayList<>();

    RedisBatch(RedisDataSource redis, Duration timeout) {
        this.redis = redis.getReactive().getRedis();
        this.timeout = timeout;
    }

    /** Adds a command; returns its index in {@link #send()}'s answer. */
    int add(Command command, Object... args) {
        Request request = Request.cmd(command);
        for (Object a : args) {
            request.arg(String.valueOf(a));
        }
        requests.add(request);
        return requests.size() - 1;
    }

    /** Sends the commands (none: no round trip) and returns their replies, in order. */
    List<Response> send() {
        if (requests.isEmpty()) {
            return List.of();
        }
        return redis.batch(requests).await().atMost(timeout);
    }

    /** A reply as text; null for a nil reply. */
    static String text(Response r) {
        return r == null ? null : r.toString();
    }
}
