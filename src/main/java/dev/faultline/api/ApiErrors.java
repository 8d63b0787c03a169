package dev.faultline.api;

import dev.faultline.store.ResultsTopicUnavailableException;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Answers a refused request ({@link ApiException}) with its status and an {@link ApiError} body, and
 * {@code Retry-After} where the refusal has one; a results topic that does not answer is a 503.
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

    /** 503 with {@code Retry-After}: the result may exist, but the results topic did not hand it over in time. */
    @ServerExceptionMapper
    public RestResponse<ApiError> topicUnavailable(ResultsTopicUnavailableException e) {
        return refused(ApiException.unavailable(e.getMessage(), ResultsTopicUnavailableException.RETRY_AFTER_SECONDS));
    }
}
