package dev.faultline.api;

import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Answers a refused request ({@link ApiException}) with its status and an {@link ApiError} body, and
 * {@code Retry-After} where the refusal has one.
 */
public class ApiErrors {

    @ServerExceptionMapper
    public RestResponse<ApiError> refused(ApiException e) {
        if (e.retryAfterSeconds() != null) {
            return RestResponse.ResponseBuilder.create(e.status(), e.body())
                    .header("Retry-After", e.retryAfterSeconds().toString())
                    .build();
        }
        return RestResponse.status(e.status(), e.body());
    }
}
