package dev.faultline.compare;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.store.RunIndex;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.redis.datasource.set.SetCommands;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Per-example outcomes of each model revision on each benchmark, in Redis, for the comparison of models (matched by
 * {@code example_id}) and of benchmarks. Written by the run index's writer (consumer group {@code faultline-index})
 * for every result, CORRECT ones included, and by {@link CrossScorer} for failures scored on another model. Keys, all
 * with TTL {@code faultline.index.ttl} refreshed on each write:
 * <ul>
 * <li>{@code faultline:cmp:ex:<model>@<revision>/<benchmark>} → hash example id → {@link Entry} (a later result of the
 * same example replaces the earlier one; at most {@code faultline.compare.max-examples} fields: new examples beyond
 * that are not indexed, and counted in {@code faultline_compare_dropped_total});</li>
 * <li>{@code faultline:cmp:scored:<model>@<revision>/<benchmark>} → hash example id → {@link Scored} (another model's
 * failure scored by this one, full result included; bounded the same way);</li>
 * <li>{@code faultline:cmp:benchmarks:<model>@<revision>} → set of benchmarks;</li>
 * <li>{@code faultline:cmp:models:<benchmark>} → set of {@code model@revision};</li>
 * <li>{@code faultline:cmp:all-benchmarks} → set of benchmarks.</li>
 * </ul>
 * A result is written with one Lua script ({@link #PUT_SCRIPT}): one round trip, and the bound checked atomically.
 */
@ApplicationScoped
public class CompareIndex implements RunIndex.ReadModel {

    static final String EX = "faultline:cmp:ex:";
    static final String SCORED = "faultline:cmp:scored:";
    static final String BENCHMARKS = "faultline:cmp:benchmarks:";
    static final String MODELS = "faultline:cmp:models:";
    static final String ALL = "faultline:cmp:all-benchmarks";
    private static final Logger LOG = Logger.getLogger(CompareIndex.class);
    private static final int MAX_LABEL_VALUES = 50;
    private static final java.util.regex.Pattern LABEL_SAFE =
            java.util.regex.Pattern.compile("[A-Za-z0-9._@/:+-]{1,100}");

    /** One example's outcome for one model revision. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(
            @JsonProperty("event_id") String eventId,
            @JsonProperty("run_id") String runId,
            Verdict verdict,
            AttributionStatus status,
            String wrong,
            String contrast,
            @JsonProperty("logit_diff") Double logitDiff,
            Boolean informative,
            Map<String, Double> segments,
            Map<String, Double> positive,
            Double concentration) {

        public boolean failed() {
            return verdict == Verdict.INCORRECT;
        }

        public boolean correct() {
            return verdict == Verdict.CORRECT;
        }
    }

    /**
     * A source model's failure scored by this model: the source's event and model, and the result (model = this
     * one, tokens in this model's tokenization).
     */
    public record Scored(
            @JsonProperty("source_event_id") String sourceEventId, String source, AttributionResult result) {}

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = "faultline.index.ttl", defaultValue = "30d")
    Duration ttl;

    @ConfigProperty(name = "faultline.compare.max-examples", defaultValue = "100000")
    int maxExamples;

    private final RedisDataSource redis;
    private final HashCommands<String, String, String> hashes;
    private final SetCommands<String, String> sets;
    private final Set<String> modelLabels = ConcurrentHashMap.newKeySet();
    private final Set<String> benchmarkLabels = ConcurrentHashMap.newKeySet();
    private final Set<String> segmentLabels = ConcurrentHashMap.newKeySet();

    @Inject
    public CompareIndex(RedisDataSource redis) {
        this.redis = redis;
        this.hashes = redis.hash(String.class);
        this.sets = redis.set(String.class);
    }

    static String key(ModelRev m, String benchmark) {
        return m + "/" + benchmark;
    }

    static ModelRev of(AttributionResult r) {
        return new ModelRev(
                r.model().name(),
                r.model().revision() == null ? "main" : r.model().revision());
    }

    /** The entry a result gives. */
    public static Entry entry(AttributionResult r) {
        var t = r.target();
        Map<String, Double> segs = null;
        Map<String, Double> pos = null;
        Double concentration = null;
        if (r.status() == AttributionStatus.ATTRIBUTED && r.segments() != null) {
            segs = new LinkedHashMap<>();
            pos = new LinkedHashMap<>();
            for (var s : r.segments()) {
                if (s.normalized() != null) {
                    segs.put(s.name(), s.normalized());
                }
                if (s.positive() != null) {
                    pos.put(s.name(), s.positive());
                }
            }
            concentration = r.tokens() == null ? null : CharRelevance.concentration(r.tokens());
        }
        return new Entry(
                r.eventId(),
                r.runId(),
                r.verdict(),
                r.status(),
                t == null ? null : t.wrong().text(),
                t == null || t.contrast() == null ? null : t.contrast().text(),
                t == null ? null : t.logitDiff(),
                r.faithfulness() == null ? null : r.faithfulness().informative(),
                segs,
                pos,
                concentration);
    }

    /**
     * Stores {@code field → value} in the hash {@code key} and registers the model revision and benchmark, all with
     * the TTL refreshed, in one round trip and atomically; nothing is written when the hash has {@code max} fields
     * and not this one. KEYS: the hash, the model's benchmarks, the benchmark's models, every benchmark. ARGV: field,
     * value, max, TTL in seconds, benchmark, {@code model@revision}. Returns 1 when stored, 0 when not.
     */
    static final String PUT_SCRIPT = """
            if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
              return 0
            end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('EXPIRE', KEYS[1], ARGV[4])
            redis.call('SADD', KEYS[2], ARGV[5])
            redis.call('EXPIRE', KEYS[2], ARGV[4])
            redis.call('SADD', KEYS[3], ARGV[6])
            redis.call('EXPIRE', KEYS[3], ARGV[4])
            redis.call('SADD', KEYS[4], ARGV[5])
            redis.call('EXPIRE', KEYS[4], ARGV[4])
            return 1
            """;

    /**
     * Takes one indexed result (the run index's writer calls it; a Redis error propagates to it): one round trip to
     * Redis.
     */
    @Override
    public void indexed(AttributionResult r) {
        if (r.model() == null
                || r.model().name() == null
                || r.benchmark() == null
                || r.eventId() == null
                || r.status() == AttributionStatus.FAILED
                || r.status() == AttributionStatus.MODEL_UNAVAILABLE) {
            return; // no outcome of the model: retried later
        }
        ModelRev m = of(r);
        String example = r.exampleId() == null ? r.eventId() : r.exampleId();
        Entry e = entry(r);
        if (put(EX, m, r.benchmark(), example, write(e))) {
            metrics(m, r.benchmark(), e);
        }
    }

    /** Stores a failure of another model scored by {@code r.model()}. */
    public void scored(AttributionResult r, String sourceEventId, ModelRev source) {
        ModelRev m = of(r);
        String example = r.exampleId() == null ? sourceEventId : r.exampleId();
        put(SCORED, m, r.benchmark(), example, write(new Scored(sourceEventId, source.toString(), r)));
    }

    /** {@link #PUT_SCRIPT} for the hash {@code prefix + m/benchmark}; false (and counted) when the bound kept it out. */
    private boolean put(String prefix, ModelRev m, String benchmark, String field, String value) {
        Response stored = redis.execute(
                Command.EVAL,
                PUT_SCRIPT,
                "4",
                prefix + key(m, benchmark),
                BENCHMARKS + m,
                MODELS + benchmark,
                ALL,
                field,
                value,
                Integer.toString(maxExamples),
                Long.toString(Math.max(1, ttl.toSeconds())),
                benchmark,
                m.toString());
        if (stored.toLong() == 0) {
            Counter.builder("faultline.compare.dropped")
                    .description("examples not indexed: the per-key bound was reached")
                    .register(meters)
                    .increment();
            return false;
        }
        return true;
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Entries of a model revision on a benchmark, by example id. */
    public Map<String, Entry> entries(ModelRev m, String benchmark) {
        return read(EX + key(m, benchmark), Entry.class);
    }

    /** Failures of other models scored by this one, by example id. */
    public Map<String, Scored> scored(ModelRev m, String benchmark) {
        return read(SCORED + key(m, benchmark), Scored.class);
    }

    public Optional<Scored> scored(ModelRev m, String benchmark, String exampleId) {
        String v = hashes.hget(SCORED + key(m, benchmark), exampleId);
        try {
            return Optional.ofNullable(v == null ? null : json.readValue(v, Scored.class));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private <T> Map<String, T> read(String key, Class<T> type) {
        Map<String, T> out = new LinkedHashMap<>();
        for (var e : hashes.hgetall(key).entrySet()) {
            try {
                out.put(e.getKey(), json.readValue(e.getValue(), type));
            } catch (Exception ex) {
                LOG.debugf("unreadable compare entry %s/%s skipped", key, e.getKey());
            }
        }
        return out;
    }

    public Set<String> benchmarks(ModelRev m) {
        return new TreeSet<>(sets.smembers(BENCHMARKS + m));
    }

    /** Every benchmark with results (a name stays until its last model's entries expire). */
    public Set<String> allBenchmarks() {
        return new TreeSet<>(sets.smembers(ALL));
    }

    public Set<String> models(String benchmark) {
        return new TreeSet<>(sets.smembers(MODELS + benchmark));
    }

    /** Counters behind the comparison dashboard; model, benchmark and segment labels capped at 50 values each. */
    private void metrics(ModelRev m, String benchmark, Entry e) {
        String model = bounded(modelLabels, m.toString());
        String bench = bounded(benchmarkLabels, benchmark);
        if (e.verdict() == Verdict.CORRECT || e.verdict() == Verdict.INCORRECT) {
            Counter.builder("faultline.compare.answers")
                    .description("scored answers by model revision and benchmark")
                    .tag("model", model)
                    .tag("benchmark", bench)
                    .tag("verdict", e.verdict().name())
                    .register(meters)
                    .increment();
        }
        if (e.status() == AttributionStatus.ATTRIBUTED && e.informative() != null) {
            Counter.builder("faultline.compare.informative")
                    .description("attributed failures by faithfulness verdict, per model revision and benchmark")
                    .tag("model", model)
                    .tag("benchmark", bench)
                    .tag("informative", e.informative().toString())
                    .register(meters)
                    .increment();
        }
        if (e.segments() != null) {
            // counters only grow: the signed mean is (toward_wrong - toward_contrast) / count, summed over the fleet
            e.segments().forEach((seg, v) -> {
                String s = bounded(segmentLabels, seg);
                Counter.builder("faultline.compare.segment.relevance")
                        .description(
                                "normalised segment relevance summed over attributed failures, by sign (direction)")
                        .tag("model", model)
                        .tag("benchmark", bench)
                        .tag("segment", s)
                        .tag("direction", v >= 0 ? "toward_wrong" : "toward_contrast")
                        .register(meters)
                        .increment(Math.abs(v));
                Counter.builder("faultline.compare.segment.results")
                        .description("attributed failures counted in faultline_compare_segment_relevance_total")
                        .tag("model", model)
                        .tag("benchmark", bench)
                        .tag("segment", s)
                        .register(meters)
                        .increment();
            });
        }
    }

    private static String bounded(Set<String> seen, String value) {
        if (value == null || !LABEL_SAFE.matcher(value).matches()) {
            return "other";
        }
        if (seen.contains(value)) {
            return value;
        }
        synchronized (seen) {
            if (seen.size() >= MAX_LABEL_VALUES) {
                return "other";
            }
            seen.add(value);
        }
        return value;
    }
}
