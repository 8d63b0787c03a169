package dev.faultline.api;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestResponse;

import dev.faultline.pipeline.ModelUnavailableException;
import dev.faultline.tracking.FailureTracker;
import dev.faultline.tracking.Regression;
import dev.faultline.tracking.Revision;
import dev.faultline.tracking.TrackingView;

/**
 * Failures followed across revisions: {@code GET /api/models/{model}/revisions}, {@code
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
    public RestResponse<List<Revision>> revisions(@PathParam("model") String model) {
        requireModel(model);
        return RestResponse.ok(view.revisions(model));
    }

    @GET
    @Path("/{model}/trajectories")
    public RestResponse<List<TrackingView.TrackedSet>> trajectories(@PathParam("model") String model,
            @QueryParam("benchmark") String benchmark) {
        requireModel(model);
        if (benchmark != null && !benchmark.isBlank() && !view.benchmarks(model).contains(benchmark)) {
            throw ApiException.notFound("no tracked set of " + model + " for benchmark '" + benchmark + "'");
        }
        return RestResponse.ok(view.trackedSets(model, benchmark));
    }

    @GET
    @Path("/{model}/regressions")
    public RestResponse<List<Regression>> regressions(@PathParam("model") String model,
            @QueryParam("benchmark") String benchmark) {
        requireModel(model);
        return RestResponse.ok(view.regressions(model, benchmark));
    }

    @POST
    @Path("/{model}/revisions/{revision}/track")
    public RestResponse<Tracked> track(@PathParam("model") String model, @PathParam("revision") String revision,
            @QueryParam("step") Long step) {
        if (step != null && step < 0) {
            throw ApiException.badRequest("step must be >= 0");
        }
        int scheduled;
        try {
            scheduled = tracker.track(model, revision, step);
        } catch (ModelUnavailableException e) {
            throw ApiException.notFound(e.getMessage());
        }
        return RestResponse.accepted(new Tracked(model, revision, step, scheduled));
    }

    /** Answer to a track request: the revision and how many re-attributions it scheduled. */
    public record Tracked(String model, String revision, Long step, int scheduled) {
    }

    private void requireModel(String model) {
        if (!view.models().contains(model)) {
            throw ApiException.notFound("no revisions or tracked failures of model '" + model + "'");
        }
    }
}
