package dev.faultline.api;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.faultline.pipeline.ModelUnavailableException;
import dev.faultline.tracking.FailureTracker;
import dev.faultline.tracking.TrackingView;

/**
 * Failures followed across revisions (issue 9): {@code GET /api/models/{model}/revisions}, {@code
 * GET /api/models/{model}/trajectories?benchmark=}, {@code GET /api/models/{model}/regressions?benchmark=} and
 * {@code POST /api/models/{model}/revisions/{revision}/track?step=} (re-attribute the tracked failures there).
 */
@Path("/api/models")
@Produces(MediaType.APPLICATION_JSON)
public class TrackingResource {

    @Inject
    TrackingView view;
    @Inject
    FailureTracker tracker;

    @GET
    @Path("/{model}/revisions")
    public Response revisions(@PathParam("model") String model) {
        if (!view.models().contains(model)) {
            return notFound(model);
        }
        return Response.ok(view.revisions(model)).build();
    }

    @GET
    @Path("/{model}/trajectories")
    public Response trajectories(@PathParam("model") String model, @QueryParam("benchmark") String benchmark) {
        if (!view.models().contains(model)) {
            return notFound(model);
        }
        if (benchmark != null && !benchmark.isBlank() && !view.benchmarks(model).contains(benchmark)) {
            return Response.status(Response.Status.NOT_FOUND)
                    .entity(Map.of("error", "no tracked set of " + model + " for benchmark '" + benchmark + "'")).build();
        }
        return Response.ok(view.trackedSets(model, benchmark)).build();
    }

    @GET
    @Path("/{model}/regressions")
    public Response regressions(@PathParam("model") String model, @QueryParam("benchmark") String benchmark) {
        if (!view.models().contains(model)) {
            return notFound(model);
        }
        return Response.ok(view.regressions(model, benchmark)).build();
    }

    @POST
    @Path("/{model}/revisions/{revision}/track")
    public Response track(@PathParam("model") String model, @PathParam("revision") String revision,
            @QueryParam("step") Long step) {
        if (step != null && step < 0) {
            return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", "step must be >= 0")).build();
        }
        int scheduled;
        try {
            scheduled = tracker.track(model, revision, step);
        } catch (ModelUnavailableException e) {
            return Response.status(Response.Status.NOT_FOUND).entity(Map.of("error", e.getMessage())).build();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("revision", revision);
        body.put("step", step);
        body.put("scheduled", scheduled);
        return Response.accepted(body).build();
    }

    private static Response notFound(String model) {
        return Response.status(Response.Status.NOT_FOUND)
                .entity(Map.of("error", "no revisions or tracked failures of model '" + model + "'")).build();
    }
}
