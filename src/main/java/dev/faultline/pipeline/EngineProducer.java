package dev.faultline.pipeline;

import java.time.Clock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.DType;
import dev.faultline.engine.ModelLoader;

/** CDI producers of the engine library's objects: one {@link AttributionEngine} and one {@link ModelRegistry}. */
@ApplicationScoped
public class EngineProducer {

    @Produces
    @ApplicationScoped
    AttributionEngine engine(AttributionConfig config) {
        return new AttributionEngine(config.queueCapacity());
    }

    void closeEngine(@Disposes AttributionEngine engine) {
        engine.close();
    }

    @Produces
    @ApplicationScoped
    ModelRegistry registry(ModelsConfig config) {
        return new ModelRegistry(ModelRegistry.roots(config.dir().orElse(null)), ModelLoader::load, DType.parse(config.dtype()),
                config.device(), config.maxLoaded(), config.maxBytes(), config.retryAfter(), Clock.systemUTC());
    }

    void closeRegistry(@Disposes ModelRegistry registry) {
        registry.close();
    }
}
