package dev.faultline.api.ui;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Links between the pages; ids may contain slashes (kept as path separators), everything else is percent-encoded. */
public final class Links {

    private Links() {}

    public static String runs() {
        return "/ui";
    }

    public static String run(String runId) {
        return "/ui/runs/" + path(runId);
    }

    public static String failure(String eventId) {
        return "/ui/attributions/" + path(eventId);
    }

    public static String model(String model) {
        return "/ui/models/" + path(model);
    }

    public static String rawJson(String eventId) {
        return "/api/attributions/" + path(eventId);
    }

    public static String graphJson(String eventId) {
        return "/api/attributions/" + path(eventId) + "/graph";
    }

    /** Encodes each path segment, keeping the slashes between them. */
    public static String path(String id) {
        if (id == null || id.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String part : id.split("/", -1)) {
            if (sb.length() > 0 || id.startsWith("/")) {
                sb.append('/');
            }
            sb.append(query(part));
        }
        return id.startsWith("/") ? sb.substring(1) : sb.toString();
    }

    /** A query-parameter value. */
    public static String query(String value) {
        return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8)
                .replace("+", "%20");
    }
}
