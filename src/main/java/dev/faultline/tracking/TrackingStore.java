package dev.faultline.tracking;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.set.SetCommands;

/**
 * The tracker's durable state in Redis, without TTL: {@code faultline:tracking:models} (set of model names),
 * {@code faultline:tracking:revisions:<model>} (hash revision → {@link Revision}),
 * {@code faultline:tracking:set:<model>/<benchmark>} (hash event id → {@link TrackedFailure}) and
 * {@code faultline:traj:<model>/<benchmark>} (hash event id → {@link Trajectory}). The tracked sets are rebuilt from
 * {@code attribution.results} and the trajectories from {@code attribution.trajectories}; when Redis fails the tracker
 * goes on in memory and logs it.
 */
@ApplicationScoped
public class TrackingStore {

    static final String MODELS = "faultline:tracking:models";
    static final String REVISIONS = "faultline:tracking:revisions:";
    static final String SETS = "faultline:tracking:sets:";
    static final String SET = "faultline:tracking:set:";
    static final String TRAJ = "faultline:traj:";
    private static final Logger LOG = Logger.getLogger(TrackingStore.class);

    private final HashCommands<String, String, String> hashes;
    private final SetCommands<String, String> sets;
    private final ObjectMapper json;

    @Inject
    public TrackingStore(RedisDataSource redis, ObjectMapper json) {
        this.hashes = redis.hash(String.class);
        this.sets = redis.set(String.class);
        this.json = json;
    }

    public void putRevision(String model, Revision r) {
        quietly(() -> {
            sets.sadd(MODELS, model);
            hashes.hset(REVISIONS + model, r.name(), write(r));
            return null;
        });
    }

    public void putTracked(TrackedFailure f) {
        quietly(() -> {
            sets.sadd(SETS + f.model(), f.benchmark());
            hashes.hset(SET + f.model() + "/" + f.benchmark(), f.eventId(), write(f));
            return null;
        });
    }

    public void removeTracked(TrackedFailure f) {
        quietly(() -> hashes.hdel(SET + f.model() + "/" + f.benchmark(), f.eventId()));
    }

    public void putTrajectory(Trajectory t) {
        quietly(() -> {
            hashes.hset(TRAJ + t.model() + "/" + t.benchmark(), t.eventId(), write(t));
            return null;
        });
    }

    /** Everything stored: per model its revisions, tracked failures and trajectories (empty when Redis fails). */
    public record Snapshot(List<String> models, Map<String, List<Revision>> revisions,
            List<TrackedFailure> tracked, List<Trajectory> trajectories) {
    }

    public Snapshot load() {
        Snapshot s = quietly(() -> {
            List<String> models = new ArrayList<>(sets.smembers(MODELS));
            Map<String, List<Revision>> revisions = new java.util.HashMap<>();
            List<TrackedFailure> tracked = new ArrayList<>();
            List<Trajectory> trajectories = new ArrayList<>();
            for (String model : models) {
                List<Revision> revs = new ArrayList<>();
                for (String v : hashes.hgetall(REVISIONS + model).values()) {
                    revs.add(json.readValue(v, Revision.class));
                }
                revisions.put(model, revs);
                for (String benchmark : sets.smembers(SETS + model)) {
                    for (String v : hashes.hgetall(SET + model + "/" + benchmark).values()) {
                        tracked.add(json.readValue(v, TrackedFailure.class));
                    }
                    for (String v : hashes.hgetall(TRAJ + model + "/" + benchmark).values()) {
                        trajectories.add(json.readValue(v, Trajectory.class));
                    }
                }
            }
            return new Snapshot(models, revisions, tracked, trajectories);
        });
        return s != null ? s : new Snapshot(List.of(), Map.of(), List.of(), List.of());
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
            LOG.warnf("tracking state not written to / read from Redis (kept in memory): %s", e.getMessage());
            return null;
        }
    }

}
