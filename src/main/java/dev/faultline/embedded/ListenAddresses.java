package dev.faultline.embedded;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.vertx.http.HttpServerStart;

/** Prints, once the HTTP server is up, where HTTP, Kafka and Redis listen. */
@ApplicationScoped
public class ListenAddresses {

    private static final Logger LOG = Logger.getLogger(ListenAddresses.class);

    void onHttpStart(@Observes HttpServerStart start, Config config) {
        LOG.infof("Faultline listening: HTTP http://%s:%d (API /api, health /q/health, metrics /q/metrics, OpenAPI /q/openapi)"
                + " | Kafka %s | Redis %s",
                start.options().getHost(), start.options().getPort(),
                config.getOptionalValue(LocalServices.KAFKA_PROPERTY, String.class).orElse("?"),
                config.getOptionalValue(LocalServices.REDIS_PROPERTY, String.class).orElse("?"));
    }
}
