package dev.faultline.api;

import java.net.URI;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.faultline.pipeline.GraphJobs;

/**
 * Attribution graphs of attributed events (issue 7): {@code POST /api/attributions/{event_id}/graph} starts a job
 * (202 with its status), {@code GET .../graph/status} reports progress, {@code GET .../graph} returns the graph (404
 * with the status until it is done).
 */
@Path("/api/attributions")
@Produces(MediaType.APPLICATION_JSON)
public class GraphResource {

    @Inject
    GraphJobs jobs;

    @POST
    @Path("/{eventId: .+}/graph")
    public Response start(@PathParam("eventId") String eventId,
            @QueryParam("node-threshold") @DefaultValue("0.01") /* = GraphRequest.DEFAULT_NODE_THRESHOLD */ double nodeThreshold,
            @QueryParam("edge-mass") @DefaultValue("0.85") /* = GraphRequest.DEFAULT_EDGE_MASS */ double edgeMass) {
        try {
            GraphJobs.Status s = jobs.start(eventId, nodeThreshold, edgeMass);
            return Response.accepted(s).location(URI.create("/api/attributions/" + eventId + "/graph/status")).build();
        } catch (GraphJobs.Refused e) {
            return Response.status(e.notFound() ? Response.Status.NOT_FOUND : Response.Status.CONFLICT)
                    .entity(Map.of("error", e.getMessage())).build();
        } catch (IllegalArgumentException e) {
            return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", e.getMessage())).build();
        }
    }

    @GET
    @Path("/{eventId: .+}/graph/status")
    public Response status(@PathParam("eventId") String eventId) {
        return jobs.status(eventId).map(s -> Response.ok(s).build())
                .orElseGet(() -> Response.status(Response.Status.NOT_FOUND)
                        .entity(Map.of("error", "no graph job for event '" + eventId + "'")).build());
    }

    @GET
    @Path("/{eventId: .+}/graph")
    public Response graph(@PathParam("eventId") String eventId) {
        return jobs.graph(eventId).map(g -> Response.ok(g, MediaType.APPLICATION_JSON_TYPE).build())
                .orElseGet(() -> Response.status(Response.Status.NOT_FOUND).entity(Map.of("error",
                        "no graph for event '" + eventId + "' yet", "status", jobs.status(eventId)
                                .<Object>map(s -> s).orElse(Map.of("state", "none")))).build());
    }
}
