package dev.faultline.pipeline;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.InputTooLongException;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import dev.faultline.metrics.PipelineMetrics;
import dev.faultline.prompt.ChatPrompts;
import dev.faultline.prompt.ChatTemplateException;
import dev.faultline.store.CacheKeys;
import dev.faultline.store.ResultCache;
import dev.faultline.triage.ContrastPair;
import dev.faultline.triage.ContrastPairFinder;
import dev.faultline.triage.LeadingSpace;
import dev.faultline.triage.PairSearch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Turns one attribution job into its result: event-id lookup (a re-delivery publishes nothing new), model from the
 * registry, contrast pair, content-key lookup, then the engine and the summary. Runs on the worker's single thread.
 */
@ApplicationScoped
public class JobProcessor {

    private static final Logger LOG = Logger.getLogger(JobProcessor.class);

    /**
     * What a job produced: the result, its content key (null when it has none), its input key, whether it was
     * already published before (a re-delivered job whose result Redis holds: nothing to send again), and where Redis
     * already holds it ({@code storedAt}, an input-key hit: only the event needs linking).
     */
    public record Outcome(
            AttributionResult result, String contentKey, String inputKey, boolean alreadyPublished, String storedAt) {

        /** A result computed here (or failed): to be stored under its content key and linked. */
        public static Outcome computed(AttributionResult result, String contentKey, String inputKey) {
            return new Outcome(result, contentKey, inputKey, false, null);
        }
    }

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Inject
    ResultCache cache;

    @Inject
    AttributionConfig config;

    @Inject
    ModelsConfig models;

    @Inject
    PipelineMetrics metrics;

    @Inject
    InputKeys inputKeys;

    @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
    String version;

    private final ChatPrompts chatPrompts = new ChatPrompts();

    public Outcome process(AttributionJob job) {
        long t0 = System.nanoTime();
        EvalOutput event = job.event();
        Map<String, Double> timings = new LinkedHashMap<>();
        String inputKey = inputKeys.of(event);
        ResultCache.Known known = cache.findByEventOrInput(event.eventId(), inputKey);
        lap(timings, "cache", t0);
        if (known.published()) {
            return new Outcome(known.result(), null, inputKey, true, known.storedAt());
        }
        if (known.result() != null) {
            AttributionResult mine = known.result().toBuilder().identity(event).build();
            return new Outcome(mine, null, inputKey, false, known.storedAt());
        }
        Method method = config.method();
        SoftmaxRule softmax = config.softmax();
        ResultBuilder skip = new ResultBuilder(event, job.verdict(), null, null);
        String modelName = event.model() == null ? null : event.model().name();
        skip.engine = new AttributionResult.Engine(
                method.label(),
                softmax.label(),
                models.dtypeOf(modelName).label(),
                models.deviceOf(modelName).label(),
                version);
        ModelRegistry.Lease lease;
        try {
            String name = event.model() == null ? null : event.model().name();
            String revision = event.model() == null ? null : event.model().revision();
            long tm = System.nanoTime();
            lease = registry.lease(name, revision);
            lap(timings, "model", tm);
        } catch (ModelUnavailableException e) {
            skip.status = AttributionStatus.MODEL_UNAVAILABLE;
            skip.reason = e.getMessage();
            return finish(skip, null, inputKey, timings, t0);
        }
        try (lease) { // held until the result is summarised: its tokenizer is read to the end
            return process(job, event, lease.model(), skip, method, softmax, inputKey, timings, t0);
        }
    }

    private Outcome process(
            AttributionJob job,
            EvalOutput event,
            LanguageModel model,
            ResultBuilder skip,
            Method method,
            SoftmaxRule softmax,
            String inputKey,
            Map<String, Double> timings,
            long t0) {
        if (event.hasMessages()) {
            // the prompt the model saw is its own chat template's rendering of the messages
            try {
                event = ChatPrompts.render(event, chatPrompts.template(model.directory()));
            } catch (ChatTemplateException | RuntimeException e) {
                skip.status = AttributionStatus.FAILED;
                skip.reason = "chat template: " + e.getMessage();
                return finish(skip, null, inputKey, timings, t0);
            }
        }
        EvalOutput spaced = LeadingSpace.restore(event, model.tokenizer());
        boolean spaceRestored = spaced != event;
        event = spaced;
        final EvalOutput input = event;
        int limit = config.maxInputTokens().orElse(Integer.MAX_VALUE);
        if (model.config() != null && model.config().maxPositions() > 0) {
            limit = Math.min(limit, model.config().maxPositions());
        }
        final int maxTokens = limit;
        long tc = System.nanoTime();
        PairSearch search;
        try {
            search = new ContrastPairFinder(config.maxContrastRank().orElse(null))
                    .find(
                            model.tokenizer(),
                            ids -> {
                                if (ids.length > maxTokens) {
                                    throw new InputTooLongException(ids.length, maxTokens);
                                }
                                return engine.logitsAt(model, ids, -1);
                            },
                            event,
                            job.answer(),
                            !input.hasMessages());
        } catch (InputTooLongException e) {
            skip.status = AttributionStatus.INPUT_TOO_LONG;
            skip.reason = e.getMessage();
            skip.text = text(input, null);
            return finish(skip, null, inputKey, timings, t0);
        }
        lap(timings, "contrast", tc);
        if (spaceRestored) {
            search = search.withTokenization(new AttributionResult.Tokenization("text", false, null, true));
        }
        skip.retokenizationMismatch = search.retokenizationMismatch();
        skip.answerSpan = search.answerSpan();
        skip.tokenization = search.tokenization();
        ContrastPair pair = search.pair();
        skip.text = text(input, pair);
        if (pair == null) {
            skip.status = AttributionStatus.NO_CONTRAST;
            skip.reason = search.skipReason();
            return finish(skip, null, inputKey, timings, t0);
        }
        String contentKey = CacheKeys.contentKey(
                event.model().name(),
                event.model().revision() == null ? "main" : event.model().revision(),
                method.label(),
                softmax.label(),
                model.dtype().label(),
                pair.inputIds(),
                pair.position(),
                pair.wrong(),
                pair.contrast());
        long tk = System.nanoTime();
        Optional<AttributionResult> cached = cache.findByContent(contentKey);
        lap(timings, "cache", tk);
        if (cached.isPresent()) {
            AttributionResult hit = cached.get();
            AttributionResult.Builder b = ResultSummarizer.forEvent(hit, event, pair, model.tokenizer()).toBuilder();
            b.answerSpan = search.answerSpan();
            b.tokenization = search.tokenization();
            b.text = hit.text() == null ? null : skip.text;
            AttributionResult mine = b.build();
            if (java.util.Objects.equals(mine.tokens(), hit.tokens())
                    && java.util.Objects.equals(mine.segments(), hit.segments())
                    && java.util.Objects.equals(mine.answerSpan(), hit.answerSpan())
                    && java.util.Objects.equals(mine.tokenization(), hit.tokenization())
                    && java.util.Objects.equals(mine.text(), hit.text())) {
                return new Outcome(mine, contentKey, inputKey, false, CacheKeys.ATTR_PREFIX + contentKey);
            }
            return Outcome.computed(mine, null, inputKey); // its own rendering, stored under its event id
        }
        skip.target = ResultSummarizer.target(pair, pair.logitDiff());
        if (!search.usable()) {
            skip.status = AttributionStatus.NO_CONTRAST;
            skip.reason = search.skipReason();
            return finish(skip, contentKey, inputKey, timings, t0);
        }
        if (pair.logitDiff() <= config.minLogitDiff()) {
            skip.status = AttributionStatus.LOW_LOGIT_DIFF;
            skip.reason = String.format(
                    java.util.Locale.ROOT,
                    "logit(wrong) - logit(contrast) = %.4f <= min-logit-diff %s",
                    pair.logitDiff(),
                    config.minLogitDiff());
            // the teacher-forced tokens (no relevance) let the failure tracker re-attribute it at later revisions
            skip.tokens = ResultSummarizer.inputTokens(event, pair, model.tokenizer(), null);
            return finish(skip, contentKey, inputKey, timings, t0);
        }
        Attribution a;
        long te = System.nanoTime();
        try {
            a = engine.attribute(
                    model,
                    new AttributionRequest(
                            pair.inputIds(),
                            pair.position(),
                            pair.wrong(),
                            pair.contrast(),
                            method,
                            softmax,
                            config.faithfulnessK(),
                            seed(event.eventId()),
                            config.faithfulnessMargin(),
                            config.topK()));
        } catch (InputTooLongException e) {
            skip.status = AttributionStatus.INPUT_TOO_LONG;
            skip.reason = e.getMessage();
            return finish(skip, contentKey, inputKey, timings, t0);
        }
        double engineMs = (System.nanoTime() - te) / 1e6;
        if (a.timingsMs() != null) {
            a.timingsMs().forEach((k, v) -> {
                timings.put(k, v);
                metrics.phase(k, v);
            });
            // time in engine.attribute outside its own phases: waiting for the engine's worker (a low-priority
            // re-attribution pass, a graph step) and handing over
            double wait = Math.max(
                    0,
                    engineMs
                            - a.timingsMs().values().stream()
                                    .mapToDouble(Double::doubleValue)
                                    .sum());
            timings.put("engine_wait", wait);
            metrics.phase("engine_wait", wait);
        }
        timings.put("total", (System.nanoTime() - t0) / 1e6);
        metrics.phase("total", timings.get("total"));
        AttributionResult result = new ResultSummarizer(config.topRelevant(), version)
                .summarize(event, job.verdict(), pair, a, model.tokenizer(), search, timings);
        LOG.debugf(
                "attributed %s: %s vs %s, logit diff %.3f",
                event.eventId(), pair.wrongText(), pair.contrastText(), a.logitDiff());
        return Outcome.computed(result, contentKey, inputKey);
    }

    /** The prompt and output a skipped failure is shown with, and where in the output its error token starts. */
    static AttributionResult.Text text(EvalOutput event, ContrastPair pair) {
        String prompt = event.prompt() == null ? "" : event.prompt();
        Integer errorChar = null;
        if (pair != null && pair.tokenIndex() < pair.text().size()) {
            errorChar = Math.max(0, pair.text().starts()[pair.tokenIndex()] - prompt.length());
        }
        return new AttributionResult.Text(prompt, event.output(), errorChar);
    }

    /** A per-event seed for the faithfulness check's random baseline (stable across re-deliveries). */
    static long seed(String eventId) {
        return eventId == null ? 0 : eventId.hashCode() & 0xffffffffL;
    }

    private Outcome finish(ResultBuilder b, String contentKey, String inputKey, Map<String, Double> timings, long t0) {
        timings.put("total", (System.nanoTime() - t0) / 1e6);
        b.timingsMs = timings;
        return Outcome.computed(b.build(), contentKey, inputKey);
    }

    private void lap(Map<String, Double> timings, String phase, long since) {
        double ms = (System.nanoTime() - since) / 1e6;
        timings.merge(phase, ms, Double::sum);
        metrics.phase(phase, ms);
    }
}
