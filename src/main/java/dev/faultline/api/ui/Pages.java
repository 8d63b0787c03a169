package dev.faultline.api.ui;

import dev.faultline.store.ResultsTopicUnavailableException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Error pages of the web view (HTML, with a way back). */
final class Pages {

    private Pages() {}

    static Response error(Response.Status status, String title, String message, String back, String backLabel) {
        return Response.status(status)
                .type(MediaType.TEXT_HTML_TYPE)
                .entity(UiTemplates.missing(title, message, back, backLabel))
                .build();
    }

    /** 503 with {@code Retry-After}: a result the page needs may exist, but the results topic did not hand it over. */
    static Response topicUnavailable(ResultsTopicUnavailableException e, String back, String backLabel) {
        return Response.fromResponse(error(
                        Response.Status.SERVICE_UNAVAILABLE,
                        "Result not readable now",
                        "A result could not be read: " + e.getMessage() + ".",
                        back,
                        backLabel))
                .header("Retry-After", ResultsTopicUnavailableException.RETRY_AFTER_SECONDS)
                .build();
    }
}
