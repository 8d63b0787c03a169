package dev.faultline.triage;

import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.GreedyDecoder;
import dev.faultline.engine.LanguageModel;
import dev.faultline.pipeline.ModelRegistry;

/** A model's outputs for the cloze prompts, as a test writes them into the events of another revision. */
public final class ClozeAnswers {

    private ClozeAnswers() {}

    /**
     * The greedy continuation (up to 6 tokens) of {@code prompt} by {@code model} at {@code revision}, the model
     * leased from the service's registry for the call.
     */
    public static String answer(
            ModelRegistry registry, AttributionEngine engine, String model, String revision, String prompt)
            throws InterruptedException {
        try (ModelRegistry.Lease lease = registry.lease(model, revision)) {
            LanguageModel m = lease.model();
            return GreedyDecoder.continuation(m.tokenizer(), prompt, 6, ids -> engine.logitsAt(m, ids, -1));
        }
    }
}
