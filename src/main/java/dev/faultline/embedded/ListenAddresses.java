package dev.faultline.embedded;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/** Prints, once the service is up, where HTTP, Kafka and Redis listen. */
@ApplicationScoped
public class ListenAddresses {

    private static final Logger LOG = Logger.getLogger(ListenAddresses.class);

    void onStart(@Observes StartupEvent event, Config config) {
        String portKey = LaunchMode.current() == LaunchMode.TEST ? "quarkus.http.test-port" : "quarkus.http.port";
        LOG.infof(
                "Faultline listening: HTTP http://%s:%s (API /api, health /q/health, metrics /q/metrics, OpenAPI /q/openapi)"
                        + " | Kafka %s | Redis %s",
                config.getOptionalValue("quarkus.http.host", String.class).orElse("0.0.0.0"),
                config.getOptionalValue(portKey, String.class).orElse("8080"),
                config.getOptionalValue(LocalServices.KAFKA_PROPERTY, String.class)
                        .orElse("?"),
                config.getOptionalValue(LocalServices.REDIS_PROPERTY, String.class)
                        .orElse("?"));
        String port = config.getOptionalValue(portKey, String.class).orElse("8080");
        LOG.infof(
                "Web view: http://localhost:%s/ui | API: http://localhost:%s/api/runs | metrics: http://localhost:%s/q/metrics",
                port, port, port);
    }
}
