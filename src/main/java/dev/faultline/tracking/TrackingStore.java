package dev.faultline.tracking;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.set.SetCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The tracking state, in Redis only: every process reads it from here (nothing is kept in memory, so a pod's heap and
 * start-up do not depend on how many results or tracked failures there are). Without TTL, as the sets are the record
 * of what is followed:
 * <ul>
 * <li>{@code faultline:tracking:models} (set of model names), {@code faultline:tracking:revisions:<model>} (hash
 * revision → {@link Revision}), {@code faultline:tracking:seq} (counter of first appearances);</li>
 * <li>{@code faultline:tracking:sets:<model>} (set of benchmarks), {@code faultline:tracking:set:<model>/<benchmark>}
 * (hash event id → {@link TrackedFailure});</li>
 * <li>{@code faultline:tracking:points:<model>/<benchmark>/<event_id>} (hash revision → {@link TrajectoryPoint}) and
 * {@code faultline:traj:<model>/<benchmark>} (hash event id → {@link Trajectory}, rewritten on each point);</li>
 * <li>{@code faultline:tracking:regressions:<model>/<benchmark>} (set of {@code <event_id>@<revision>}: regressions
 * counted once per fleet).</li>
 * </ul>
 * With TTL ({@code faultline.tracking.claim-ttl}, 1 day): {@code faultline:retrack:<model>/<benchmark>/<event_id>@<revision>}, taken with {@code SET NX} when a
 * re-attribution is queued, so one job per (failure, revision) whatever the number of triggers. When Redis fails, the
 * reads are empty and the writes are logged.
 */
@ApplicationScoped
public class TrackingStore {

    static final String MODELS = "faultline:tracking:models";
    static final String REVISIONS = "faultline:tracking:revisions:";
    static final String SEQ = "faultline:tracking:seq";
    static final String SETS = "faultline:tracking:sets:";
    static final String SET = "faultline:tracking:set:";
    static final String POINTS = "faultline:tracking:points:";
    static final String TRAJ = "faultline:traj:";
    static final String REGRESSIONS = "faultline:tracking:regressions:";
    public static final String RETRACK = "faultline:retrack:";
    private static final Logger LOG = Logger.getLogger(TrackingStore.class);

    private final HashCommands<String, String, String> hashes;
    private final SetCommands<String, String> sets;
    private final ValueCommands<String, String> values;
    private final ValueCommands<String, Long> counters;
    private final KeyCommands<String> keys;
    private final ObjectMapper json;

    @Inject
    public TrackingStore(RedisDataSource redis, ObjectMapper json) {
        this.hashes = redis.hash(String.class);
        this.sets = redis.set(String.class);
        this.values = redis.value(String.class);
        this.counters = redis.value(Long.class);
        this.keys = redis.key(String.class);
        this.json = json;
    }

    // ---- revisions ----

    public void putRevision(String model, Revision r) {
        quietly(() -> {
            sets.sadd(MODELS, model);
            hashes.hset(REVISIONS + model, r.name(), write(r));
            return null;
        });
    }

    /** A fleet-wide sequence number for a revision's first appearance. */
    public long nextSeq() {
        Long n = quietly(() -> counters.incr(SEQ));
        return n == null ? System.nanoTime() : n;
    }

    public List<String> models() {
        List<String> m = quietly(() -> new ArrayList<>(sets.smembers(MODELS)));
        return m == null ? List.of() : m;
    }

    public List<Revision> revisions(String model) {
        List<Revision> r = quietly(() -> {
            List<Revision> out = new ArrayList<>();
            for (String v : hashes.hgetall(REVISIONS + model).values()) {
                out.add(json.readValue(v, Revision.class));
            }
            return out;
        });
        return r == null ? List.of() : r;
    }

    // ---- tracked sets ----

    public List<String> benchmarks(String model) {
        List<String> b = quietly(() -> new ArrayList<>(sets.smembers(SETS + model)));
        return b == null ? List.of() : b.stream().sorted().toList();
    }

    /** The failures of one set, by event id (Redis hashes keep no order: this one is stable across pods). */
    public List<TrackedFailure> tracked(String model, String benchmark) {
        List<TrackedFailure> t = quietly(() -> {
            List<TrackedFailure> out = new ArrayList<>();
            for (String v : hashes.hgetall(SET + model + "/" + benchmark).values()) {
                out.add(json.readValue(v, TrackedFailure.class));
            }
            out.sort(java.util.Comparator.comparing(TrackedFailure::eventId));
            return out;
        });
        return t == null ? List.of() : t;
    }

    public boolean isTracked(String model, String benchmark, String eventId) {
        Boolean b = quietly(() -> hashes.hexists(SET + model + "/" + benchmark, eventId));
        return b != null && b;
    }

    public int size(String model, String benchmark) {
        Long n = quietly(() -> hashes.hlen(SET + model + "/" + benchmark));
        return n == null ? 0 : n.intValue();
    }

    /** Adds a failure unless it is there; true when added. */
    public boolean putTrackedIfAbsent(TrackedFailure f) {
        Boolean added = quietly(() -> {
            sets.sadd(SETS + f.model(), f.benchmark());
            return hashes.hsetnx(SET + f.model() + "/" + f.benchmark(), f.eventId(), write(f));
        });
        return added != null && added;
    }

    /** Adds a benchmark's (empty) set; true when it is new. */
    public boolean addSet(String model, String benchmark) {
        Integer n = quietly(() -> sets.sadd(SETS + model, benchmark));
        return n != null && n > 0;
    }

    public void removeTracked(TrackedFailure f) {
        quietly(() -> hashes.hdel(SET + f.model() + "/" + f.benchmark(), f.eventId()));
    }

    // ---- points and trajectories ----

    public Map<String, TrajectoryPoint> points(TrackedFailure f) {
        Map<String, TrajectoryPoint> p = quietly(() -> {
            Map<String, TrajectoryPoint> out = new java.util.HashMap<>();
            for (Map.Entry<String, String> e : hashes.hgetall(POINTS + f.key()).entrySet()) {
                out.put(e.getKey(), json.readValue(e.getValue(), TrajectoryPoint.class));
            }
            return out;
        });
        return p == null ? Map.of() : p;
    }

    public boolean hasPoint(TrackedFailure f, String revision) {
        Boolean b = quietly(() -> hashes.hexists(POINTS + f.key(), revision));
        return b != null && b;
    }

    public void putPoint(TrackedFailure f, TrajectoryPoint p) {
        quietly(() -> {
            hashes.hset(POINTS + f.key(), p.revision(), write(p));
            return null;
        });
    }

    public void putTrajectory(Trajectory t) {
        quietly(() -> {
            hashes.hset(TRAJ + t.model() + "/" + t.benchmark(), t.eventId(), write(t));
            return null;
        });
    }

    /** The stored trajectories of one set by event id. */
    public Map<String, Trajectory> trajectories(String model, String benchmark) {
        Map<String, Trajectory> t = quietly(() -> {
            Map<String, Trajectory> out = new java.util.HashMap<>();
            for (Map.Entry<String, String> e :
                    hashes.hgetall(TRAJ + model + "/" + benchmark).entrySet()) {
                out.put(e.getKey(), json.readValue(e.getValue(), Trajectory.class));
            }
            return out;
        });
        return t == null ? Map.of() : t;
    }

    /** Records a regression; true for the first process that records it. */
    public boolean countRegression(TrackedFailure f, String wrongAgainAt) {
        Integer n = quietly(
                () -> sets.sadd(REGRESSIONS + f.model() + "/" + f.benchmark(), f.eventId() + "@" + wrongAgainAt));
        return n != null && n > 0;
    }

    // ---- re-attribution claims ----

    /**
     * Takes the (failure, revision) re-attribution with {@code SETNX} (then a TTL): true for exactly one caller while
     * the key lives; true too when Redis fails (at least once rather than never).
     */
    public boolean claimRetrack(TrackedFailure f, String revision, long ttlSeconds) {
        String key = RETRACK + f.key() + "@" + revision;
        Boolean taken = quietly(() -> {
            boolean t = values.setnx(key, "queued");
            if (t) {
                keys.expire(key, Math.max(1, ttlSeconds));
            }
            return t;
        });
        return taken == null || taken;
    }

    /** Frees a (failure, revision) claim, so that a later trigger queues it again. */
    public void releaseRetrack(TrackedFailure f, String revision) {
        quietly(() -> keys.del(RETRACK + f.key() + "@" + revision));
    }

    private String write(Object o) throws Exception {
        return json.writeValueAsString(o);
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws Exception;
    }

    private <T> T quietly(Call<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            LOG.warnf("tracking state not written to / read from Redis: %s", e.getMessage());
            return null;
        }
    }
}
