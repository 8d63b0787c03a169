package dev.faultline.security;

import java.util.Set;

/**
 * Which role a request needs, from its method and path: health, metrics, the API description and the web view's
 * static assets are open; {@code POST /api/events} needs {@code producer}; reading {@code /api} and {@code /ui} (the
 * live stream included) needs {@code viewer} or {@code operator}; every other method there (demo runs, graphs,
 * tracking, anything added later) needs {@code operator}; any other path is closed.
 */
public enum Access {
    OPEN(Set.of()),
    PRODUCE(Set.of(Access.PRODUCER)),
    READ(Set.of(Access.VIEWER, Access.OPERATOR)),
    OPERATE(Set.of(Access.OPERATOR)),
    CLOSED(Set.of());

    /** Role that may post events (and nothing else: give a client {@code viewer} too if it reads results). */
    public static final String PRODUCER = "producer";
    /** Role that may start and cancel demo runs, graphs and tracking, and read everything. */
    public static final String OPERATOR = "operator";
    /** Role that may read the API and the web view. */
    public static final String VIEWER = "viewer";

    private final Set<String> roles;

    Access(Set<String> roles) {
        this.roles = roles;
    }

    /** The rule of a request; {@code path} normalised (no {@code ..}, no double slashes). */
    public static Access of(String method, String path) {
        if (under(path, "/q/health")
                || under(path, "/q/metrics")
                || path.startsWith("/q/openapi")
                || under(path, "/assets")) {
            return OPEN;
        }
        boolean read = "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
        if (under(path, "/api/events")) {
            return read ? READ : PRODUCE;
        }
        if (under(path, "/api") || under(path, "/ui")) {
            return read ? READ : OPERATE;
        }
        return CLOSED;
    }

    /** Whether a caller with these roles may make the request ({@link #OPEN}: anyone). */
    public boolean allows(Set<String> callerRoles) {
        return this == OPEN || callerRoles.stream().anyMatch(roles::contains);
    }

    private static boolean under(String path, String root) {
        return path.equals(root) || path.startsWith(root + "/");
    }
}
