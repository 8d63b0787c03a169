package dev.faultline.store;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.faultline.contract.AttributionResult;

/**
 * Parsed results by Redis key, least recently used first out, bounded by the characters of their JSON. Only a
 * process-local shortcut in front of Redis (never the record): a miss falls through to Redis.
 */
final class LocalResults {

    private record Entry(AttributionResult result, long chars) {
    }

    private final long maxChars;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long chars;

    LocalResults(long maxChars) {
        this.maxChars = maxChars;
    }

    synchronized AttributionResult get(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.result();
    }

    synchronized void put(String key, AttributionResult result, long size) {
        if (size > maxChars) {
            return; // larger than the whole budget: not kept
        }
        Entry old = entries.put(key, new Entry(result, size));
        chars += size - (old == null ? 0 : old.chars());
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (chars > maxChars && it.hasNext()) {
            chars -= it.next().getValue().chars();
            it.remove();
        }
    }

    synchronized void remove(String key) {
        Entry old = entries.remove(key);
        if (old != null) {
            chars -= old.chars();
        }
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long chars() {
        return chars;
    }
}
