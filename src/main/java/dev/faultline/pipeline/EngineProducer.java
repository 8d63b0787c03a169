package dev.faultline.pipeline;

import dev.faultline.engine.AttributionEngine;
import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.EngineOptions;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.ModelLoader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.nio.file.Path;
import java.time.Clock;

/** CDI producers of the engine library's objects: one {@link AttributionEngine} and one {@link ModelRegistry}. */
@ApplicationScoped
public class EngineProducer {

    @Produces
    @ApplicationScoped
    AttributionEngine engine(AttributionConfig config) {
        // read by DJL when libtorch starts, on the engine's first use, after this; an explicit -D wins over the default
        String property = System.getProperty("ai.djl.pytorch.num_threads");
        int threads = config.threads()
                .orElse(
                        property != null
                                ? Integer.parseInt(property)
                                : Runtime.getRuntime().availableProcessors());
        if (threads < 1) {
            throw new IllegalArgumentException("faultline.attribution.threads must be at least 1, got " + threads);
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        long passBudget = config.maxPassBytes().orElseGet(() -> ModelsConfig.defaultMaxBytes() * 4 / 5);
        AttributionEngine engine =
                new AttributionEngine(Math.max(config.queueCapacity(), config.batchSize()), passBudget);
        engine.batchUpTo(config.batchSize());
        return engine;
    }

    void closeEngine(@Disposes AttributionEngine engine) {
        engine.close();
    }

    @Produces
    @ApplicationScoped
    ModelRegistry registry(ModelsConfig config, EngineConfig engineConfig, AttributionEngine engine) {
        EngineOptions options = engineConfig.options();
        long budget = config.maxBytes().orElseGet(ModelsConfig::defaultMaxBytes);
        ModelRegistry.Loader loader = new ModelRegistry.Loader() {
            @Override
            public LanguageModel load(Path dir, DType dtype, Device device) {
                return ModelLoader.load(dir, dtype, device, budget, options);
            }

            @Override
            public long weightBytes(Path dir, DType dtype) {
                try {
                    return ModelLoader.weightBytes(dir, dtype);
                } catch (RuntimeException e) {
                    return 0; // the load itself reports what is wrong with the checkpoint
                }
            }
        };
        java.util.Map<String, ModelRegistry.Settings> perModel = new java.util.HashMap<>();
        config.model()
                .forEach((name, p) ->
                        perModel.put(name, new ModelRegistry.Settings(config.dtypeOf(name), config.deviceOf(name))));
        ModelRegistry registry = new ModelRegistry(
                ModelRegistry.roots(config.dir().orElse(null)),
                loader,
                config.dtype(),
                config.device(),
                perModel::get,
                config.maxLoaded(),
                budget,
                config.retryAfter(),
                Clock.systemUTC());
        registry.closeWith(
                model -> { // never under a pass that another thread queued
                    try {
                        engine.release(model);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        model.close(); // engine closed (shutting down) or its queue full: nothing of ours can be
                        // waited for
                    }
                });
        return registry;
    }

    void closeRegistry(@Disposes ModelRegistry registry) {
        registry.close();
    }
}
