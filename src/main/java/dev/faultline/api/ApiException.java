package dev.faultline.api;

import jakarta.ws.rs.core.Response;

/** A refused request: the HTTP status and the {@link ApiError} body {@link ApiErrors} answers it with. */
public final class ApiException extends RuntimeException {

    private final Response.Status status;
    private final transient Object detail;
    private final Integer retryAfterSeconds;

    public ApiException(Response.Status status, String message, Object detail) {
        this(status, message, detail, null);
    }

    private ApiException(Response.Status status, String message, Object detail, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.detail = detail;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 429: a quota is full; {@code Retry-After} says when a slot is expected to free. */
    public static ApiException tooManyRequests(String message, int retryAfterSeconds) {
        return new ApiException(Response.Status.TOO_MANY_REQUESTS, message, null, Math.max(1, retryAfterSeconds));
    }

    /** 503: a part the answer needs did not answer; {@code Retry-After} says when to try again. */
    public static ApiException unavailable(String message, int retryAfterSeconds) {
        return new ApiException(Response.Status.SERVICE_UNAVAILABLE, message, null, Math.max(1, retryAfterSeconds));
    }

    public static ApiException notFound(String message) {
        return new ApiException(Response.Status.NOT_FOUND, message, null);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(Response.Status.BAD_REQUEST, message, null);
    }

    public Response.Status status() {
        return status;
    }

    /** Seconds for the {@code Retry-After} header, or null for none. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The body: the message, and the resource's state where there is one. */
    public ApiError body() {
        return new ApiError(getMessage(), detail);
    }
}
