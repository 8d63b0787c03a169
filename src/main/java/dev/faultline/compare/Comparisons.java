package dev.faultline.compare;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.store.AttributedTally;
import dev.faultline.store.ResultLookup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Model revisions compared on one benchmark (examples matched by {@code example_id}), and one model revision's
 * benchmarks side by side; read from {@link CompareIndex} and, for the relevance of examples two models both failed,
 * the full results ({@link ResultLookup}).
 */
@ApplicationScoped
public class Comparisons {

    /** Stated wherever a similarity is shown. */
    public static final String SIMILARITY = "cosine similarity of the two relevance distributions on the characters of "
            + "the shared text (prompt and any common output prefix): each token's relevance is spread evenly over its "
            + "character span, first and special tokens left out; 1 = the same direction, 0 = unrelated, "
            + "-1 = opposite";

    /** One model revision on the benchmark. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ModelStats(
            String model,
            String revision,
            int examples,
            int correct,
            int incorrect,
            Double accuracy,
            int attributed,
            int informative,
            @JsonProperty("informative_share") Double informativeShare,
            @JsonProperty("scored_from_other_model") int scored,
            Map<String, Double> segments) {}

    /** One model's side of an example. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Side(
            @JsonProperty("event_id") String eventId,
            boolean failed,
            AttributionStatus status,
            String wrong,
            String contrast,
            @JsonProperty("logit_diff") Double logitDiff,
            @JsonProperty("scored_from") String scoredFrom) {}

    /** An example of the overlap; similarity and shared characters only for examples both failed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Example(
            @JsonProperty("example_id") String exampleId,
            Side first,
            Side second,
            @JsonProperty("same_pair") Boolean samePair,
            Double similarity,
            @JsonProperty("shared_chars") Integer sharedChars) {}

    /** The first model against one other. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Pair(
            String first,
            String second,
            int matched,
            @JsonProperty("both_failed") int bothFailed,
            int fixed,
            int broken,
            @JsonProperty("both_correct") int bothCorrect,
            @JsonProperty("same_pair") int samePair,
            @JsonProperty("mean_similarity") Double meanSimilarity,
            @JsonProperty("failed_by_both") List<Example> failedByBoth,
            @JsonProperty("fixed_examples") List<Example> fixedExamples,
            @JsonProperty("broken_examples") List<Example> brokenExamples) {}

    public record Report(
            String benchmark, String similarity, List<ModelStats> models, List<String> segments, List<Pair> pairs) {}

    /** One benchmark of a model revision. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BenchmarkRow(
            String benchmark,
            int events,
            int correct,
            int incorrect,
            Double accuracy,
            @JsonProperty("by_status") Map<AttributionStatus, Integer> byStatus,
            int attributed,
            Double coverage,
            int informative,
            @JsonProperty("informative_share") Double informativeShare,
            @JsonProperty("median_logit_diff") Double medianLogitDiff,
            @JsonProperty("top_wrong_segment") String topWrongSegment,
            @JsonProperty("top_wrong_segment_share") Double topWrongSegmentShare,
            @JsonProperty("concentration_top5") Double concentration,
            List<String> runs) {}

    @Inject
    CompareIndex index;

    @Inject
    ResultLookup results;

    @ConfigProperty(name = "faultline.compare.max-detail", defaultValue = "500")
    int maxDetail;

    /** An example's outcome for one model: its own result, or another model's failure it scored. */
    record Outcome(CompareIndex.Entry entry, CompareIndex.Scored scored) {

        boolean failed() {
            return entry != null ? entry.failed() : scored.result().target().logitDiff() > 0;
        }

        boolean correct() {
            return entry != null ? entry.correct() : !failed();
        }

        Side side() {
            if (entry != null) {
                return new Side(
                        entry.eventId(),
                        entry.failed(),
                        entry.status(),
                        entry.wrong(),
                        entry.contrast(),
                        entry.logitDiff(),
                        null);
            }
            var t = scored.result().target();
            return new Side(
                    scored.result().eventId(),
                    failed(),
                    scored.result().status(),
                    t.wrong().text(),
                    t.contrast().text(),
                    t.logitDiff(),
                    scored.source());
        }
    }

    Map<String, Outcome> outcomes(ModelRev m, String benchmark) {
        Map<String, Outcome> out = new LinkedHashMap<>();
        index.entries(m, benchmark).forEach((ex, e) -> out.put(ex, new Outcome(e, null)));
        index.scored(m, benchmark).forEach((ex, s) -> {
            if (!out.containsKey(ex) && s.result() != null && s.result().target() != null) {
                out.put(ex, new Outcome(null, s));
            }
        });
        return out;
    }

    public Report compare(String benchmark, List<ModelRev> models) {
        List<Map<String, Outcome>> all = new ArrayList<>();
        List<ModelStats> stats = new ArrayList<>();
        Set<String> segmentNames = new LinkedHashSet<>();
        for (ModelRev m : models) {
            Map<String, Outcome> o = outcomes(m, benchmark);
            all.add(o);
            ModelStats s = stats(m, o);
            segmentNames.addAll(s.segments().keySet());
            stats.add(s);
        }
        List<Pair> pairs = new ArrayList<>();
        for (int i = 1; i < models.size(); i++) {
            pairs.add(pair(models.get(0), all.get(0), models.get(i), all.get(i)));
        }
        return new Report(benchmark, SIMILARITY, stats, new ArrayList<>(segmentNames), pairs);
    }

    private static ModelStats stats(ModelRev m, Map<String, Outcome> outcomes) {
        int correct = 0;
        int incorrect = 0;
        int scored = 0;
        AttributedTally tally = new AttributedTally();
        for (Outcome o : outcomes.values()) {
            CompareIndex.Entry e = o.entry();
            if (e == null) {
                scored++;
                e = CompareIndex.entry(o.scored().result());
            } else if (e.verdict() == Verdict.CORRECT) {
                correct++;
            } else if (e.verdict() == Verdict.INCORRECT) {
                incorrect++;
            }
            tally.add(e.status(), e.informative(), e.segments());
        }
        int withVerdict = correct + incorrect;
        int attributed = tally.attributed();
        return new ModelStats(
                m.model(),
                m.revision(),
                outcomes.size(),
                correct,
                incorrect,
                withVerdict == 0 ? null : (double) correct / withVerdict,
                attributed,
                tally.informative(),
                attributed == 0 ? null : (double) tally.informative() / attributed,
                scored,
                tally.segmentMeans());
    }

    private Pair pair(ModelRev a, Map<String, Outcome> oa, ModelRev b, Map<String, Outcome> ob) {
        int matched = 0;
        int bothCorrect = 0;
        int samePair = 0;
        List<Example> both = new ArrayList<>();
        List<Example> fixed = new ArrayList<>();
        List<Example> broken = new ArrayList<>();
        double simSum = 0;
        int simN = 0;
        for (String ex : new TreeSet<>(oa.keySet())) {
            Outcome x = oa.get(ex);
            Outcome y = ob.get(ex);
            if (y == null) {
                continue;
            }
            matched++;
            if (x.failed() && y.failed()) {
                Side sx = x.side();
                Side sy = y.side();
                boolean same = sx.wrong() != null
                        && sy.wrong() != null
                        && sx.contrast() != null
                        && sy.contrast() != null
                        && sx.wrong().strip().equals(sy.wrong().strip())
                        && sx.contrast().strip().equals(sy.contrast().strip());
                if (same) {
                    samePair++;
                }
                Double sim = null;
                Integer shared = null;
                if (both.size() < maxDetail) {
                    List<AttributionResult.Token> tx = tokens(x);
                    List<AttributionResult.Token> ty = tokens(y);
                    if (tx != null && ty != null) {
                        shared = CharRelevance.shared(tx, ty);
                        sim = CharRelevance.similarity(tx, ty);
                    }
                }
                if (sim != null) {
                    simSum += sim;
                    simN++;
                }
                both.add(new Example(ex, sx, sy, same, sim, shared));
            } else if (x.failed() && y.correct()) {
                fixed.add(new Example(ex, x.side(), y.side(), null, null, null));
            } else if (x.correct() && y.failed()) {
                broken.add(new Example(ex, x.side(), y.side(), null, null, null));
            } else if (x.correct() && y.correct()) {
                bothCorrect++;
            }
        }
        return new Pair(
                a.toString(),
                b.toString(),
                matched,
                both.size(),
                fixed.size(),
                broken.size(),
                bothCorrect,
                samePair,
                simN == 0 ? null : simSum / simN,
                both,
                fixed,
                broken);
    }

    /** The attributed tokens of a model revision's outcome of one example, or null. */
    public List<AttributionResult.Token> tokens(ModelRev m, String benchmark, String exampleId) {
        Outcome o = outcomes(m, benchmark).get(exampleId);
        return o == null ? null : tokens(o);
    }

    /** The attributed tokens of an outcome (its own result read in full, or the scored one), or null. */
    private List<AttributionResult.Token> tokens(Outcome o) {
        AttributionResult r;
        if (o.entry() != null) {
            if (o.entry().status() != AttributionStatus.ATTRIBUTED || o.entry().eventId() == null) {
                return null;
            }
            r = results.find(o.entry().eventId())
                    .map(ResultLookup.Found::result)
                    .orElse(null);
        } else {
            r = o.scored().result();
        }
        if (r == null || r.tokens() == null || r.tokens().stream().anyMatch(t -> t.relevance() == null)) {
            return null;
        }
        return r.tokens();
    }

    /** The benchmarks of a model revision, one row each. */
    public List<BenchmarkRow> benchmarks(ModelRev m) {
        List<BenchmarkRow> rows = new ArrayList<>();
        for (String b : index.benchmarks(m)) {
            Map<String, CompareIndex.Entry> entries = index.entries(m, b);
            if (!entries.isEmpty()) {
                rows.add(row(b, entries.values()));
            }
        }
        return rows;
    }

    static BenchmarkRow row(String benchmark, java.util.Collection<CompareIndex.Entry> entries) {
        int correct = 0;
        int incorrect = 0;
        int attributed = 0;
        int informative = 0;
        Map<AttributionStatus, Integer> byStatus = new EnumMap<>(AttributionStatus.class);
        List<Double> diffs = new ArrayList<>();
        Map<String, Double> positive = new LinkedHashMap<>();
        double conc = 0;
        int concN = 0;
        Set<String> runs = new TreeSet<>();
        for (CompareIndex.Entry e : entries) {
            if (e.runId() != null) {
                runs.add(e.runId());
            }
            if (e.verdict() == Verdict.CORRECT) {
                correct++;
            } else if (e.verdict() == Verdict.INCORRECT) {
                incorrect++;
                if (e.status() != null) {
                    byStatus.merge(e.status(), 1, Integer::sum);
                }
                if (e.logitDiff() != null && Double.isFinite(e.logitDiff())) {
                    diffs.add(e.logitDiff());
                }
            }
            if (e.status() == AttributionStatus.ATTRIBUTED) {
                attributed++;
                if (Boolean.TRUE.equals(e.informative())) {
                    informative++;
                }
                if (e.positive() != null) {
                    e.positive().forEach((k, v) -> positive.merge(k, v, Double::sum));
                }
                if (e.concentration() != null) {
                    conc += e.concentration();
                    concN++;
                }
            }
        }
        String top = null;
        double topSum = 0;
        double total = 0;
        for (var p : positive.entrySet()) {
            total += p.getValue();
            if (top == null || p.getValue() > topSum) {
                top = p.getKey();
                topSum = p.getValue();
            }
        }
        int scored = correct + incorrect;
        return new BenchmarkRow(
                benchmark,
                entries.size(),
                correct,
                incorrect,
                scored == 0 ? null : (double) correct / scored,
                new TreeMap<>(byStatus),
                attributed,
                incorrect == 0 ? null : (double) attributed / incorrect,
                informative,
                attributed == 0 ? null : (double) informative / attributed,
                median(diffs),
                top,
                top == null || total <= 0 ? null : topSum / total,
                concN == 0 ? null : conc / concN,
                new ArrayList<>(runs));
    }

    static Double median(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
