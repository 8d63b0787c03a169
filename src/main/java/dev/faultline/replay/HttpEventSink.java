package dev.faultline.replay;

import dev.faultline.contract.EvalOutput;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Posts each event to {@code <url>/api/events} of a running Faultline service, one request per event; with the
 * bearer token of {@value #TOKEN_ENV} when set (a service that requires tokens wants the role {@code producer}).
 */
public final class HttpEventSink implements EventSink {

    /** Environment variable of the bearer token (not an option: command lines are visible to other users). */
    public static final String TOKEN_ENV = "FAULTLINE_TOKEN";

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI endpoint;
    private final String token;
    private int failed;
    private String firstReason;

    public HttpEventSink(String url) {
        this(url, System.getenv(TOKEN_ENV));
    }

    /** @param token bearer token sent with every event, or null/blank for none */
    public HttpEventSink(String url, String token) {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        URI uri = URI.create(base + "/api/events");
        if (uri.getScheme() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("--url must look like http://host:port, got " + url);
        }
        this.endpoint = uri;
        this.token = token == null || token.isBlank() ? null : token.strip();
    }

    @Override
    public void send(EvalOutput event, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = b.build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                failed++;
                if (firstReason == null) {
                    String body = response.body() == null ? "" : response.body();
                    firstReason = event.eventId() + ": HTTP " + response.statusCode() + " "
                            + body.substring(0, Math.min(200, body.length()));
                }
            }
        } catch (IOException e) {
            throw new SinkUnavailableException("cannot post to " + endpoint + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkUnavailableException("interrupted", e);
        }
    }

    @Override
    public void flush() {}

    @Override
    public Failures failures() {
        return new Failures(failed, firstReason);
    }

    @Override
    public String describe() {
        return "POST " + endpoint;
    }

    @Override
    public void close() {}
}
