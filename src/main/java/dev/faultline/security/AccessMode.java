package dev.faultline.security;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Whether this process requires bearer tokens: {@code faultline.auth.enabled} when set, else whenever Kafka is
 * external. Says so in one line at start; with tokens required and no key to verify them, the start fails.
 */
@ApplicationScoped
public class AccessMode {

    private static final Logger LOG = Logger.getLogger(AccessMode.class);
    /** Any of these gives SmallRye JWT a key to verify signatures with (inline, file, URL or JWKS endpoint). */
    static final List<String> KEY_PROPERTIES =
            List.of("mp.jwt.verify.publickey", "mp.jwt.verify.publickey.location", "smallrye.jwt.verify.key.location");

    private final boolean tokensRequired;
    private final boolean embeddedKafka;

    @Inject
    public AccessMode(
            AuthConfig auth,
            // set by the command line when it starts the embedded broker (no external Kafka configured)
            @ConfigProperty(name = "faultline.embedded.kafka", defaultValue = "false") boolean embeddedKafka) {
        this.embeddedKafka = embeddedKafka;
        this.tokensRequired = tokensRequired(auth.enabled(), embeddedKafka);
    }

    /** The rule: the explicit setting, else tokens exactly when Kafka is external. */
    public static boolean tokensRequired(Optional<Boolean> enabled, boolean embeddedKafka) {
        return enabled.orElse(!embeddedKafka);
    }

    public boolean tokensRequired() {
        return tokensRequired;
    }

    void onStart(@Observes StartupEvent event, Config config) {
        String host = config.getOptionalValue("quarkus.http.host", String.class).orElse("0.0.0.0");
        if (tokensRequired) {
            if (KEY_PROPERTIES.stream()
                    .noneMatch(k -> config.getOptionalValue(k, String.class).isPresent())) {
                throw new IllegalStateException(
                        "Bearer tokens are required (faultline.auth.enabled, or external Kafka) "
                                + "but no key verifies them: set mp.jwt.verify.publickey.location (a PEM file or the OIDC "
                                + "provider's JWKS URL) and mp.jwt.verify.issuer, or faultline.auth.enabled=false "
                                + "(docs/security.md)");
            }
            LOG.infof(
                    "Authentication on: bearer JWT (issuer %s) with role producer, operator or viewer in 'groups'; "
                            + "open: /q/health, /q/metrics, /q/openapi",
                    config.getOptionalValue("mp.jwt.verify.issuer", String.class)
                            .orElse("not checked: set mp.jwt.verify.issuer"));
        } else if (embeddedKafka) {
            LOG.infof(
                    "Open access: default local run (embedded Kafka), no authentication, HTTP on %s%s. To require "
                            + "tokens: faultline.auth.enabled=true with mp.jwt.verify.publickey.location and "
                            + "mp.jwt.verify.issuer (docs/security.md)",
                    host,
                    LocalBinding.LOOPBACK.equals(host)
                            ? " only"
                            : " (NOT loopback only: anyone who reaches it can write)");
        } else {
            LOG.warnf(
                    "Authentication OFF (faultline.auth.enabled=false) with external Kafka: anyone who reaches HTTP "
                            + "%s can post events and start work",
                    host);
        }
    }
}
