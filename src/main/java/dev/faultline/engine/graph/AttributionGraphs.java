package dev.faultline.engine.graph;

import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.model.HfLanguageModel;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Builds attribution graphs on the engine's single worker at low priority: every step (one pass) is a
 * separate task, so attributions submitted meanwhile wait for at most one step, and a full queue makes the graph wait
 * instead of failing.
 */
public final class AttributionGraphs {

    private AttributionGraphs() {}

    /** Builds the graph of {@code request} on {@code engine}'s worker, reporting progress after every step. */
    public static AttributionGraph build(
            AttributionEngine engine, LanguageModel model, GraphRequest request, Consumer<GraphProgress> progress) {
        HfLanguageModel m = HfLanguageModel.of(model);
        if (request == null) {
            throw new IllegalArgumentException("request must not be null");
        }
        Consumer<GraphProgress> listener = progress == null ? p -> {} : progress;
        GraphBuilder b = submit(engine, () -> new GraphBuilder(m, request));
        try {
            listener.accept(b.progress());
            while (submit(engine, b::step)) {
                listener.accept(b.progress());
            }
            AttributionGraph graph = submit(engine, b::finish);
            listener.accept(b.progress());
            return graph;
        } finally {
            submit(engine, () -> {
                b.close();
                return null;
            });
        }
    }

    /** Builds the graph on the calling thread (no other gradient collector may be open meanwhile: tests, benches). */
    public static AttributionGraph buildHere(LanguageModel model, GraphRequest request) {
        try (GraphBuilder b = new GraphBuilder(HfLanguageModel.of(model), request)) {
            while (b.step()) {
                // one backward pass per step
            }
            return b.finish();
        }
    }

    private static <T> T submit(AttributionEngine engine, java.util.concurrent.Callable<T> task) {
        while (true) {
            try {
                return engine.execute(task);
            } catch (RejectedExecutionException e) {
                if (e.getMessage() != null && e.getMessage().contains("closed")) {
                    throw e;
                }
                try { // queue full of live attributions: the graph yields
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the attribution worker", ie);
                }
            }
        }
    }
}
