package dev.faultline.api;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/**
 * Declares the engine tests' system property {@code faultline.test.device} (set by surefire for every test) so that
 * Quarkus' validation of the {@code faultline.*} namespace accepts it in @QuarkusTest runs.
 */
@ConfigMapping(prefix = "faultline.test")
public interface TestDeviceConfig {

    /** {@code cpu} or {@code gpu}: where engine tests load their models. */
    Optional<String> device();
}
