package dev.faultline.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The body of every error answer of the REST API: {@code {"error": "..."}}, plus {@code status} where the resource
 * has one to report (a graph job that is not done).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, Object status) {

    public ApiError(String error) {
        this(error, null);
    }
}
