package dev.faultline.api.ui;

import dev.faultline.store.ResultLookup;
import dev.faultline.store.ResultsTopicUnavailableException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code /ui/attributions/{event_id}}: one failure, its token heatmap and the numbers behind it; for results that
 * were not attributed, what was found (pair, Δℓ, rank, reason).
 */
@Path("/ui/attributions")
@Produces(MediaType.TEXT_HTML)
public class FailurePage {

    @Inject
    ResultLookup lookup;

    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    @Path("/{eventId: .+}")
    public Response failure(@PathParam("eventId") String eventId) {
        try {
            return lookup.find(eventId)
                    .map(f -> Response.ok(UiTemplates.failure(
                                    FailureView.of(f.result(), f.source().label())))
                            .build())
                    .orElseGet(() -> Pages.error(
                            Response.Status.NOT_FOUND,
                            "No result yet",
                            "No result for event '" + eventId + "' yet.",
                            Links.runs(),
                            "all runs"));
        } catch (ResultsTopicUnavailableException e) {
            return Pages.topicUnavailable(e, Links.runs(), "all runs");
        }
    }
}
