package dev.faultline.api;

import jakarta.ws.rs.core.Response;

/** A refused request: the HTTP status and the {@link ApiError} body {@link ApiErrors} answers it with. */
public final class ApiException extends RuntimeException {

    private final Response.Status status;
    private final transient Object detail;

    public ApiException(Response.Status status, String message, Object detail) {
        super(message, null, false, false);
        this.status = status;
        this.detail = detail;
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

    /** The body: the message, and the resource's state where there is one. */
    public ApiError body() {
        return new ApiError(getMessage(), detail);
    }
}
