package dev.faultline.engine;

/**
 * Runs forward and attribution passes. DJL allows one gradient collector per JVM, so passes are serialised: callers
 * from several threads queue (bounded) and run one at a time.
 */
public final class AttributionEngine implements AutoCloseable {

    /** @param queueCapacity how many callers may wait; one more is refused with {@link java.util.concurrent.RejectedExecutionException} */
    public AttributionEngine(int queueCapacity) {
    }

    /** Logits of every position for {@code ids}: [T][V], forward only (no gradients). */
    public float[][] logits(LanguageModel model, int[] ids) {
        throw new UnsupportedOperationException("TODO(issue 3)");
    }

    /** One attribution pass (forward, backward, optional faithfulness), in its own NDManager scope. */
    public Attribution attribute(LanguageModel model, AttributionRequest request) {
        throw new UnsupportedOperationException("TODO(issue 3)");
    }

    @Override
    public void close() {
    }
}
