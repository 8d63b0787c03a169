package dev.faultline.compare;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenizedText;
import dev.faultline.fleet.FleetRequest;
import dev.faultline.fleet.FleetRequestHandler;
import dev.faultline.pipeline.AttributionConfig;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.pipeline.ResultSummarizer;
import dev.faultline.tracking.RetrackQueue;
import dev.faultline.tracking.Revision;
import dev.faultline.tracking.TrackedFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyCommands;
import io.quarkus.redis.datasource.value.ValueCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;

/**
 * Scores one model's failure on another model: the source's text up to the error (prompt and output prefix, rebuilt
 * from its tokens' texts and spans) in the target's tokenization, and the source's wrong and contrast tokens as the
 * target tokenizes them after that text. The target generates nothing. Its AttnLRP attribution (pipeline rules, no
 * faithfulness check) is stored in {@link CompareIndex} as the target's outcome of that example, with the source's
 * segments mapped onto the target's tokens by character. Queued once per (target, benchmark, example) for the fleet
 * ({@code SETNX faultline:cmp:claim:...}, TTL 1 day) as {@code score} requests on {@code attribution.requests}; a
 * worker runs them on the low-priority {@link RetrackQueue}, after live attributions.
 */
@ApplicationScoped
public class CrossScorer implements FleetRequestHandler {

    static final String CLAIM = "faultline:cmp:claim:";
    static final long CLAIM_SECONDS = 86_400;
    private static final Logger LOG = Logger.getLogger(CrossScorer.class);

    /** The target's input: ids of the source's text, the position to explain, the pair in the target's ids. */
    public record Prepared(
            String context, TokenizedText text, int wrong, String wrongText, int contrast, String contrastText) {}

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Inject
    AttributionConfig config;

    @Inject
    RetrackQueue queue;

    @Inject
    CompareIndex index;

    @Inject
    MeterRegistry meters;

    private final ValueCommands<String, String> values;
    private final KeyCommands<String> keys;

    @Inject
    public CrossScorer(RedisDataSource redis) {
        this.values = redis.value(String.class, String.class);
        this.keys = redis.key(String.class);
    }

    static String claimKey(ModelRev target, TrackedFailure f) {
        return CLAIM + target + "/" + f.benchmark() + "/" + (f.exampleId() == null ? f.eventId() : f.exampleId());
    }

    /** Takes the fleet-wide claim of scoring {@code f} on {@code target}; false when someone has it. */
    public boolean claim(ModelRev target, TrackedFailure f) {
        String key = claimKey(target, f);
        boolean taken = values.setnx(key, Instant.now().toString());
        if (taken) {
            keys.expire(key, CLAIM_SECONDS);
        }
        return taken;
    }

    public void release(ModelRev target, TrackedFailure f) {
        keys.del(claimKey(target, f));
    }

    @Override
    public Map<String, Class<? extends FleetRequest>> kinds() {
        return Map.of(ScoreRequest.KIND, ScoreRequest.class);
    }

    /** A score request: {@link #execute} of its failure on its model and revision. */
    @Override
    public CompletionStage<Boolean> handle(FleetRequest request) {
        ScoreRequest r = (ScoreRequest) request;
        return execute(r.failure(), new ModelRev(r.model(), r.revisionName()));
    }

    /** Runs on a worker: queued behind live jobs; completes true once stored, false when dropped or failed. */
    public CompletionStage<Boolean> execute(TrackedFailure f, ModelRev target) {
        Revision slot = new Revision("score:" + target, null, 0, 0);
        CompletableFuture<Boolean> done =
                queue.submit(new RetrackQueue.Job(f, slot), job -> run(job.failure(), target));
        if (done == null) {
            return CompletableFuture.completedFuture(false);
        }
        return done.thenApply(ok -> {
            if (!ok) {
                release(target, f);
            }
            return ok;
        });
    }

    private void run(TrackedFailure f, ModelRev target) {
        try (ModelRegistry.Lease lease = registry.lease(target.model(), target.revision())) {
            AttributionResult r = score(f, target, lease.model(), engine, config.method(), config.softmax());
            index.scored(r, f.eventId(), new ModelRev(f.model(), f.revision()));
            counter("ok").increment();
        } catch (RuntimeException e) {
            counter("failed").increment();
            throw e;
        }
    }

    private Counter counter(String outcome) {
        return Counter.builder("faultline.compare.scored")
                .description("failures scored on another model, by outcome")
                .tag("outcome", outcome)
                .register(meters);
    }

    /** Scores {@code f} on {@code model} (named {@code target}); the result's tokens are the target's. */
    public static AttributionResult score(
            TrackedFailure f,
            ModelRev target,
            LanguageModel model,
            AttributionEngine engine,
            Method method,
            SoftmaxRule softmax) {
        Prepared p = prepare(f, model.tokenizer());
        Attribution a = engine.attribute(
                model, AttributionRequest.unchecked(p.text().ids(), -1, p.wrong(), p.contrast(), method, softmax));
        return result(f, target, p, a, model.tokenizer(), engine);
    }

    /** The source's text up to and including the explained position, from its tokens. */
    static String context(TrackedFailure f) {
        List<TrackedFailure.TokenSpan> spans =
                f.tokens().subList(0, Math.min(f.tokens().size(), f.position() + 1));
        int end = 0;
        for (var s : spans) {
            end = Math.max(end, s.end());
        }
        char[] text = new char[end];
        boolean complete = true;
        for (var s : spans) {
            if (!s.special() && s.text() != null && s.text().length() == s.end() - s.start()) {
                s.text().getChars(0, s.text().length(), text, s.start());
            }
        }
        for (char c : text) {
            if (c == 0) {
                complete = false;
                break;
            }
        }
        if (complete) {
            return new String(text);
        }
        StringBuilder sb = new StringBuilder(); // decoded texts whose lengths differ from their spans: joined in order
        spans.stream().filter(s -> !s.special() && s.text() != null).forEach(s -> sb.append(s.text()));
        return sb.toString();
    }

    /** Tokenizes the source's text with the target's tokenizer and finds the pair in the target's ids. */
    public static Prepared prepare(TrackedFailure f, TextTokenizer tokenizer) {
        String context = context(f);
        TokenizedText text = tokenizer.encode(context, true);
        if (text.size() == 0) {
            throw new IllegalArgumentException("empty text for " + f.eventId());
        }
        int wrong = next(tokenizer, context, text, f.wrongText());
        int contrast = next(tokenizer, context, text, f.contrastText());
        if (wrong == contrast) {
            throw new IllegalArgumentException("wrong '" + f.wrongText() + "' and contrast '" + f.contrastText()
                    + "' begin with the same token in the target's tokenization");
        }
        return new Prepared(context, text, wrong, tokenizer.tokenText(wrong), contrast, tokenizer.tokenText(contrast));
    }

    /** The first token the target gives {@code piece} after {@code context}. */
    static int next(TextTokenizer tokenizer, String context, TokenizedText base, String piece) {
        TokenizedText joined = tokenizer.encode(context + piece, true);
        int[] a = base.ids();
        int[] b = joined.ids();
        if (b.length > a.length && java.util.Arrays.equals(a, 0, a.length, b, 0, a.length)) {
            return b[a.length];
        }
        int[] alone = tokenizer.encode(piece, false).ids(); // the text's tokens merge across the boundary
        if (alone.length == 0) {
            throw new IllegalArgumentException("'" + piece + "' has no tokens in the target's tokenization");
        }
        return alone[0];
    }

    static AttributionResult result(
            TrackedFailure f,
            ModelRev target,
            Prepared p,
            Attribution a,
            TextTokenizer tokenizer,
            AttributionEngine engine) {
        double[] rel = a.inputRelevance().clone();
        if (a.positionRelevance() != null) {
            for (int i = 0; i < rel.length; i++) {
                rel[i] += a.positionRelevance()[i];
            }
        }
        TokenizedText t = p.text();
        List<AttributionResult.Token> tokens = new ArrayList<>(t.size());
        for (int i = 0; i < t.size(); i++) {
            boolean special = t.special()[i];
            TrackedFailure.TokenSpan src = special ? null : covering(f, t.starts()[i], t.ends()[i]);
            String segment = special ? null : src == null ? ResultSummarizer.OTHER : src.segment();
            tokens.add(new AttributionResult.Token(
                    special ? t.tokens()[i] : tokenizer.tokenText(t.ids()[i]),
                    t.ids()[i],
                    t.starts()[i],
                    t.ends()[i],
                    rel[i],
                    special,
                    segment,
                    src == null ? null : src.inSegments()));
        }
        List<EvalOutput.Segment> order = f.segmentNames().stream()
                .map(n -> new EvalOutput.Segment(n, 0, 0))
                .toList();
        var segments = ResultSummarizer.segments(tokens, order, ResultSummarizer.normalizer(tokens));
        String now = Instant.now().toString();
        var targetRef = new AttributionResult.Target(
                t.size() - 1,
                new AttributionResult.TokenRef(p.wrong(), p.wrongText()),
                new AttributionResult.TokenRef(p.contrast(), p.contrastText()),
                a.logitDiff(),
                a.contrastRank());
        var timings = new LinkedHashMap<String, Double>(a.timingsMs() == null ? java.util.Map.of() : a.timingsMs());
        var b = new AttributionResult.Builder()
                .identity(
                        "score/" + target + "/" + f.eventId(),
                        "score/" + target + "/" + f.benchmark(),
                        new EvalOutput.ModelRef(target.model(), target.revision(), null),
                        f.benchmark(),
                        f.exampleId(),
                        now);
        b.status = AttributionStatus.ATTRIBUTED;
        b.reason = "scored: the failure of " + f.model() + "@" + f.revision()
                + " with its text and pair; the model generated nothing";
        b.target = targetRef;
        b.tokens = tokens;
        b.segments = segments;
        b.layers = ResultSummarizer.layers(a.layerInputRelevance());
        b.engine = new AttributionResult.Engine(
                a.method().label(), a.softmax().label(), a.dtype().label(), a.device(), "score");
        b.timingsMs = timings;
        b.attributedAt = now;
        return b.build();
    }

    /** The source token whose span holds most of {@code [start, end)} (the first one that overlaps it). */
    static TrackedFailure.TokenSpan covering(TrackedFailure f, int start, int end) {
        TrackedFailure.TokenSpan best = null;
        int bestOverlap = 0;
        for (var s : f.tokens()) {
            if (s.special()) {
                continue;
            }
            int overlap = Math.min(end, s.end()) - Math.max(start, s.start());
            if (overlap > bestOverlap || (best == null && end == start && s.start() <= start && start < s.end())) {
                best = s;
                bestOverlap = overlap;
            }
        }
        return best;
    }
}
