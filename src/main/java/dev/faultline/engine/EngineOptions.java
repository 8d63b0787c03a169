package dev.faultline.engine;

import java.util.function.Function;

/**
 * Tuning of the passes that does not change their results, fixed when a model is loaded. The service sets it from
 * its configuration ({@code faultline.engine.*}); the command line, tests and benches from system properties with
 * {@link #from(Function) from(System::getProperty)}.
 *
 * @param scoreChunkBytes largest attention score array of one chunk of query rows: longer inputs run attention a
 *                        chunk of rows at a time ({@value #SCORE_CHUNK_PROPERTY}, default 16 MiB)
 */
public record EngineOptions(long scoreChunkBytes) {

    /** Default of {@link #scoreChunkBytes}: 16 MiB, under glibc's largest mmap threshold (bench/RESULTS.md). */
    public static final long SCORE_CHUNK_BYTES = 16L << 20;
    /** The property (system property or service configuration) that sets {@link #scoreChunkBytes}. */
    public static final String SCORE_CHUNK_PROPERTY = "faultline.engine.score-chunk-bytes";
    /** The defaults. */
    public static final EngineOptions DEFAULTS = new EngineOptions(SCORE_CHUNK_BYTES);

    public EngineOptions {
        if (scoreChunkBytes < 1) {
            throw new IllegalArgumentException(SCORE_CHUNK_PROPERTY + " must be positive, got " + scoreChunkBytes);
        }
    }

    /** The options named in {@code properties} (e.g. {@code System::getProperty}), defaults for those unset. */
    public static EngineOptions from(Function<String, String> properties) {
        String chunk = properties.apply(SCORE_CHUNK_PROPERTY);
        try {
            return new EngineOptions(
                    chunk == null || chunk.isBlank() ? SCORE_CHUNK_BYTES : Long.parseLong(chunk.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    SCORE_CHUNK_PROPERTY + " must be a number of bytes, got '" + chunk + "'");
        }
    }
}
