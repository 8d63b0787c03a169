package dev.faultline.pipeline;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.faultline.config.FaultlineConfig;
import dev.faultline.triage.AnswerScorer;
import dev.faultline.triage.ScoringMethod;

/** CDI producers of the plain-Java ingestion parts: the event validator and the answer scorer. */
public class IngestionBeans {

    @Produces
    @Singleton
    EventValidator validator(FaultlineConfig config) {
        return new EventValidator(config.ingest());
    }

    @Produces
    @Singleton
    AnswerScorer scorer(FaultlineConfig config) {
        ScoringMethod method = ScoringMethod.parse(config.triage().defaultMethod());
        if (method == null) {
            throw new IllegalArgumentException("faultline.triage.default-method: unknown method '"
                    + config.triage().defaultMethod() + "' (exact|normalized|numeric|choice|contains|regex)");
        }
        return new AnswerScorer(method);
    }
}
