package dev.faultline.api;

import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Answers a refused request ({@link ApiException}) with its status and an {@link ApiError} body. */
public class ApiErrors {

    @ServerExceptionMapper
    public RestResponse<ApiError> refused(ApiException e) {
        return RestResponse.status(e.status(), e.body());
    }
}
