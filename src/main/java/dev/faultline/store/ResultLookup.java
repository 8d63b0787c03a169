package dev.faultline.store;

import dev.faultline.contract.AttributionResult;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * An event's full result for readers (REST, web view): from Redis, or on a miss from {@code attribution.results} at
 * the offset the {@link RunIndex} recorded; says which.
 */
@ApplicationScoped
public class ResultLookup {

    /** Where a result was read from. */
    public enum Source {
        REDIS,
        TOPIC;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A result and its source. */
    public record Found(AttributionResult result, Source source) {}

    @Inject
    ResultCache cache;

    @Inject
    RunIndex index;

    @Inject
    ResultTopicReader topic;

    public Optional<Found> find(String eventId) {
        Optional<AttributionResult> cached = cache.read(eventId);
        if (cached.isPresent()) {
            AttributionResult r = cached.get();
            // a content-cache entry may have been written for another event with the same content
            return Optional.of(new Found(r.eventId().equals(eventId) ? r : restamp(r, eventId), Source.REDIS));
        }
        return index.event(eventId)
                .flatMap(s -> topic.read(eventId, s.partition(), s.offset()))
                .map(r -> new Found(r, Source.TOPIC));
    }

    private AttributionResult restamp(AttributionResult r, String eventId) {
        var s = index.event(eventId).orElse(null);
        return new AttributionResult(
                r.schema(),
                eventId,
                s == null ? r.runId() : s.runId(),
                s == null ? r.model() : s.model(),
                s == null ? r.benchmark() : s.benchmark(),
                s == null ? r.exampleId() : s.exampleId(),
                r.status(),
                r.reason(),
                r.verdict(),
                r.target(),
                r.tokens(),
                r.topPositive(),
                r.topNegative(),
                r.segments(),
                r.layers(),
                r.conservation(),
                r.faithfulness(),
                r.topTokens(),
                r.retokenizationMismatch(),
                r.engine(),
                r.timingsMs(),
                s == null ? r.producedAt() : s.producedAt(),
                r.attributedAt(),
                r.answerSpan(),
                r.tokenization(),
                r.text());
    }
}
