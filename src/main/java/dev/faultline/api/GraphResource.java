package dev.faultline.api;

import dev.faultline.pipeline.GraphJob;
import dev.faultline.pipeline.GraphJobs;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Map;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Attribution graphs of attributed events: {@code POST /api/attributions/{event_id}/graph} starts a job
 * (202 with its status), {@code GET .../graph/status} reports progress, {@code GET .../graph} returns the graph (404
 * with the status until it is done), {@code DELETE .../graph} cancels a job still queued. At most
 * {@code faultline.graph.max-queued} jobs wait: one more is answered 429 with {@code Retry-After}. On a pod with {@code faultline.role=triage} the POST forwards the job to the
 * workers (same answer, {@code phase} {@code forwarded}); at most {@code faultline.graph.max-queued} forwarded jobs are
 * queued or running in the fleet (429 beyond, 503 while Redis is down), and a queued one can be cancelled from any pod;
 * the status and graph GETs answer from Redis on any pod.
 */
@Path("/api/attributions")
@Produces(MediaType.APPLICATION_JSON)
public class GraphResource {

    /** Seconds a client should wait after a 429 before starting a graph again (a small graph takes about that). */
    static final int RETRY_AFTER_SECONDS = 10;

    @Inject
    GraphJobs jobs;

    @POST
    @Path("/{eventId: .+}/graph")
    public RestResponse<GraphJob.Status> start(
            @PathParam("eventId") String eventId,
            @QueryParam("node-threshold") @DefaultValue("0.01") /* = GraphRequest.DEFAULT_NODE_THRESHOLD */
                    double nodeThreshold,
            @QueryParam("edge-mass") @DefaultValue("0.85") /* = GraphRequest.DEFAULT_EDGE_MASS */ double edgeMass) {
        try {
            GraphJob.Status s = jobs.start(eventId, nodeThreshold, edgeMass);
            return RestResponse.ResponseBuilder.accepted(s)
                    .location(URI.create("/api/attributions/" + eventId + "/graph/status"))
                    .build();
        } catch (GraphJob.Refused e) {
            throw refused(e);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    @DELETE
    @Path("/{eventId: .+}/graph")
    public RestResponse<GraphJob.Status> cancel(@PathParam("eventId") String eventId) {
        try {
            return RestResponse.ok(jobs.cancel(eventId));
        } catch (GraphJob.Refused e) {
            throw refused(e);
        }
    }

    private static ApiException refused(GraphJob.Refused e) {
        return switch (e.reason()) {
            case NOT_FOUND -> ApiException.notFound(e.getMessage());
            case CONFLICT -> new ApiException(Response.Status.CONFLICT, e.getMessage(), null);
            case QUEUE_FULL -> ApiException.tooManyRequests(e.getMessage(), RETRY_AFTER_SECONDS);
            case UNAVAILABLE -> new ApiException(Response.Status.SERVICE_UNAVAILABLE, e.getMessage(), null);
        };
    }

    @GET
    @Path("/{eventId: .+}/graph/status")
    public RestResponse<GraphJob.Status> status(@PathParam("eventId") String eventId) {
        return jobs.status(eventId)
                .map(RestResponse::ok)
                .orElseThrow(() -> ApiException.notFound("no graph job for event '" + eventId + "'"));
    }

    @GET
    @Path("/{eventId: .+}/graph")
    public RestResponse<String> graph(@PathParam("eventId") String eventId) {
        return jobs.graph(eventId)
                .map(g -> RestResponse.ok(g, MediaType.APPLICATION_JSON_TYPE))
                .orElseThrow(() -> new ApiException(
                        Response.Status.NOT_FOUND,
                        "no graph for event '" + eventId + "' yet",
                        jobs.status(eventId).<Object>map(s -> s).orElse(Map.of("state", "none"))));
    }
}
