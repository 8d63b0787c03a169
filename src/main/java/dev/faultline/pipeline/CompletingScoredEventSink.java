package dev.faultline.pipeline;

import dev.faultline.triage.ScoredEvent;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The sink used until another {@link ScoredEventSink} bean exists: scoring and counting are all that happen, and the
 * record is acknowledged at once.
 */
@DefaultBean
@ApplicationScoped
public class CompletingScoredEventSink implements ScoredEventSink {

    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    @Override
    public CompletionStage<Void> accept(ScoredEvent scored) {
        return DONE;
    }
}
