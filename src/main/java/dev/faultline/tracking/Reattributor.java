package dev.faultline.tracking;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.Attribution;
import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.AttributionRequest;
import dev.faultline.pipeline.AttributionConfig;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.pipeline.ResultSummarizer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Attributes a tracked failure at one revision with its own teacher-forced input ids, position, wrong and contrast
 * tokens (whatever that revision would answer), with the pipeline's rules, and sums relevance per segment as the
 * live results do ({@link ResultSummarizer}). No faithfulness check: trajectories follow Δℓ and segment relevance.
 */
@ApplicationScoped
public class Reattributor {

    @Inject
    ModelRegistry registry;

    @Inject
    AttributionEngine engine;

    @Inject
    AttributionConfig config;

    /** The request a tracked failure is re-attributed with (tests call the engine with the same one). */
    public AttributionRequest request(TrackedFailure f) {
        return AttributionRequest.unchecked(
                f.inputIds(), f.position(), f.wrong(), f.contrast(), config.method(), config.softmax());
    }

    public TrajectoryPoint reattribute(TrackedFailure f, Revision revision) {
        Attribution a;
        try (ModelRegistry.Lease lease = registry.lease(f.model(), revision.name())) {
            a = engine.attribute(lease.model(), request(f));
        }
        double[] rel = a.inputRelevance().clone();
        if (a.positionRelevance() != null) {
            for (int i = 0; i < rel.length; i++) {
                rel[i] += a.positionRelevance()[i];
            }
        }
        return point(f, revision, a.logitDiff(), rel, ResultSummarizer.layers(a.layerInputRelevance()));
    }

    /** A point from per-token relevance (tokens of {@code f}) and layer sums. */
    static TrajectoryPoint point(
            TrackedFailure f,
            Revision revision,
            double logitDiff,
            double[] rel,
            List<AttributionResult.LayerRelevance> layers) {
        List<AttributionResult.Token> tokens = new ArrayList<>(rel.length);
        for (int i = 0; i < rel.length; i++) {
            TrackedFailure.TokenSpan s = f.tokens().get(i);
            tokens.add(new AttributionResult.Token(
                    s.text(), f.inputIds()[i], s.start(), s.end(), rel[i], s.special(), s.segment(), s.inSegments()));
        }
        List<EvalOutput.Segment> order = f.segmentNames().stream()
                .map(n -> new EvalOutput.Segment(n, 0, 0))
                .toList();
        var segments = ResultSummarizer.segments(tokens, order, ResultSummarizer.normalizer(tokens));
        return new TrajectoryPoint(
                revision.name(),
                revision.step(),
                logitDiff,
                segments,
                layers,
                rel.length > 0 ? rel[0] : null,
                Instant.now().toString());
    }

    /** The point of the failure's own result (ATTRIBUTED: relevance known), or null when it has none. */
    static TrajectoryPoint ownPoint(TrackedFailure f, Revision revision, AttributionResult r) {
        if (r.tokens() == null || r.tokens().stream().anyMatch(t -> t.relevance() == null)) {
            return null;
        }
        double[] rel = r.tokens().stream()
                .mapToDouble(AttributionResult.Token::relevance)
                .toArray();
        return point(f, revision, r.target().logitDiff(), rel, r.layers());
    }
}
