package dev.faultline.api;

import dev.faultline.contract.AttributionResult;
import dev.faultline.store.ResultLookup;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestResponse;

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
    public RestResponse<AttributionResult> get(@PathParam("eventId") String eventId) {
        return lookup.find(eventId)
                .map(f -> RestResponse.ResponseBuilder.ok(f.result())
                        .header(SOURCE_HEADER, f.source().label())
                        .build())
                .orElseThrow(() -> ApiException.notFound("no result for event '" + eventId + "' yet"));
    }
}
