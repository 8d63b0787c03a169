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

    /** A result cached for another event with the same content, with this event's identity where it is indexed. */
    private AttributionResult restamp(AttributionResult r, String eventId) {
        AttributionResult.Builder b = r.toBuilder();
        b.eventId = eventId;
        index.event(eventId)
                .ifPresent(
                        s -> b.identity(eventId, s.runId(), s.model(), s.benchmark(), s.exampleId(), s.producedAt()));
        return b.build();
    }
}
