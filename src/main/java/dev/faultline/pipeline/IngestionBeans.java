package dev.faultline.pipeline;

import dev.faultline.config.FaultlineConfig;
import dev.faultline.triage.AnswerScorer;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

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
        return new AnswerScorer(config.triage().defaultMethod(), config.triage().patternBudget());
    }
}
