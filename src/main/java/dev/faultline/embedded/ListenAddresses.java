package dev.faultline.embedded;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/** Prints, once the service is up, where HTTP, Kafka and Redis listen. */
@ApplicationScoped
public class ListenAddresses {

    private static final Logger LOG = Logger.getLogger(ListenAddresses.class);

    void onStart(@Observes StartupEvent event, Config config) {
        String host = config.getOptionalValue("quarkus.http.host", String.class).orElse("0.0.0.0");
        String port = config.getOptionalValue("quarkus.http.port", String.class).orElse("8080");
        LOG.infof("Faultline listening: HTTP http://%s:%s (API /api, health /q/health, metrics /q/metrics) | Kafka %s | Redis %s",
                host, port,
                config.getOptionalValue(LocalServices.KAFKA_PROPERTY, String.class).orElse("?"),
                config.getOptionalValue(LocalServices.REDIS_PROPERTY, String.class).orElse("?"));
    }
}
