package dev.faultline.security;

import java.util.Optional;
import java.util.function.Function;

/**
 * The HTTP interface of the default local run: with the embedded broker (nothing configured) the open service
 * listens on {@value #LOOPBACK} only, unless {@value #HOST_ENV} or {@value #HOST_PROPERTY} says otherwise (the
 * container images and Kubernetes manifests set 0.0.0.0).
 */
public final class LocalBinding {

    public static final String HOST_PROPERTY = "quarkus.http.host";
    public static final String HOST_ENV = "QUARKUS_HTTP_HOST";
    public static final String LOOPBACK = "127.0.0.1";

    private LocalBinding() {}

    /** The host to set as {@value #HOST_PROPERTY}, or empty to keep what is configured (or Quarkus' default). */
    public static Optional<String> host(
            Function<String, String> env, Function<String, String> props, boolean embeddedKafka) {
        boolean configured = !blank(env.apply(HOST_ENV)) || !blank(props.apply(HOST_PROPERTY));
        return embeddedKafka && !configured ? Optional.of(LOOPBACK) : Optional.empty();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
