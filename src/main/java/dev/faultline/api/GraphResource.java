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

import org.jboss.resteasy.reactive.RestResponse;

import dev.faultline.pipeline.GraphJobs;

/**
 * Attribution graphs of attributed events: {@code POST /api/attributions/{event_id}/graph} starts a job
 * (202 with its status), {@code GET .../graph/status} reports progress, {@code GET .../graph} returns the graph (404
 * with the status until it is done). On a pod with {@code faultline.role=triage} the POST forwards the job to the
 * workers (same answer, {@code phase} {@code forwarded}); the status and graph GETs answer from Redis on any pod.
 */
@Path("/api/attributions")
@Produces(MediaType.APPLICATION_JSON)
public class GraphResource {

    @Inject
    GraphJobs jobs;

    @POST
    @Path("/{eventId: .+}/graph")
    public RestResponse<GraphJobs.Status> start(@PathParam("eventId") String eventId,
            @QueryParam("node-threshold") @DefaultValue("0.01") /* = GraphRequest.DEFAULT_NODE_THRESHOLD */ double nodeThreshold,
            @QueryParam("edge-mass") @DefaultValue("0.85") /* = GraphRequest.DEFAULT_EDGE_MASS */ double edgeMass) {
        try {
            GraphJobs.Status s = jobs.start(eventId, nodeThreshold, edgeMass);
            return RestResponse.ResponseBuilder.accepted(s)
                    .location(URI.create("/api/attributions/" + eventId + "/graph/status")).build();
        } catch (GraphJobs.Refused e) {
            throw new ApiException(e.notFound() ? Response.Status.NOT_FOUND : Response.Status.CONFLICT, e.getMessage(),
                    null);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    @GET
    @Path("/{eventId: .+}/graph/status")
    public RestResponse<GraphJobs.Status> status(@PathParam("eventId") String eventId) {
        return jobs.status(eventId).map(RestResponse::ok)
                .orElseThrow(() -> ApiException.notFound("no graph job for event '" + eventId + "'"));
    }

    @GET
    @Path("/{eventId: .+}/graph")
    public RestResponse<String> graph(@PathParam("eventId") String eventId) {
        return jobs.graph(eventId).map(g -> RestResponse.ok(g, MediaType.APPLICATION_JSON_TYPE))
                .orElseThrow(() -> new ApiException(Response.Status.NOT_FOUND, "no graph for event '" + eventId
                        + "' yet", jobs.status(eventId).<Object>map(s -> s).orElse(Map.of("state", "none"))));
    }
}
