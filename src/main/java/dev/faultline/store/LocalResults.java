package dev.faultline.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.faultline.contract.AttributionResult;

/**
 * Parsed results by Redis key, bounded by the characters of their JSON (a Caffeine cache weighed in characters; its
 * eviction keeps the entries most likely to be asked for again). Only a process-local shortcut in front of Redis
 * (never the record): a miss falls through to Redis.
 */
final class LocalResults {

    private record Entry(AttributionResult result, long chars) {}

    private final Cache<String, Entry> entries;

    LocalResults(long maxChars) {
        this.entries = Caffeine.newBuilder()
                .maximumWeight(Math.max(0, maxChars))
                .weigher((String key, Entry e) -> (int) Math.min(Integer.MAX_VALUE, e.chars()))
                .executor(Runnable::run) // evict on the caller's thread: no background pool for a small map
                .build();
    }

    AttributionResult get(String key) {
        Entry e = entries.getIfPresent(key);
        return e == null ? null : e.result();
    }

    void put(String key, AttributionResult result, long size) {
        entries.put(key, new Entry(result, size));
    }

    void remove(String key) {
        entries.invalidate(key);
    }

    int size() {
        entries.cleanUp();
        return (int) entries.estimatedSize();
    }

    long chars() {
        entries.cleanUp();
        return entries.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }
}
