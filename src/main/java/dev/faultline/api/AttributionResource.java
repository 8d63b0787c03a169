package dev.faultline.api;

import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.faultline.store.ResultLookup;

/** {@code GET /api/attributions/{event_id}}: an event's result; 404 until it exists. Event ids may contain slashes. */
@Path("/api/attributions")
@Produces(MediaType.APPLICATION_JSON)
public class AttributionResource {

    /** Response header naming where the result came from: {@code redis} or {@code topic}. */
    public static final String SOURCE_HEADER = "X-Faultline-Source";

    @Inject
    ResultLookup lookup;

    @GET
    @Path("/{eventId: .+}")
    public Response get(@PathParam("eventId") String eventId) {
        return lookup.find(eventId)
                .map(f -> Response.ok(f.result()).header(SOURCE_HEADER, f.source().label()).build())
                .orElseGet(() -> Response.status(Response.Status.NOT_FOUND)
                        .entity(Map.of("error", "no result for event '" + eventId + "' yet")).build());
    }
}
