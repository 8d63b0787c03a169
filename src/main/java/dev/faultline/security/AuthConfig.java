package dev.faultline.security;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** Authentication of the HTTP API ({@code faultline.auth.*}); the token checks are {@code mp.jwt.verify.*}. */
@ConfigMapping(prefix = "faultline.auth")
public interface AuthConfig {

    /**
     * Require a bearer token with the right role on every call but health, metrics and the API description. Unset: on
     * whenever Kafka is external, off in the default local run (embedded Kafka, HTTP on 127.0.0.1).
     */
    Optional<Boolean> enabled();
}
