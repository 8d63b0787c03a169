package dev.faultline.api.ui;

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
}
