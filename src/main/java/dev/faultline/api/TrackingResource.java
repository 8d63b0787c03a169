package dev.faultline.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.fleet.FleetRequests;
import dev.faultline.pipeline.ModelUnavailableException;
import dev.faultline.tracking.FailureTracker;
import dev.faultline.tracking.Regression;
import dev.faultline.tracking.Revision;
import dev.faultline.tracking.TrackRequest;
import dev.faultline.tracking.TrackingView;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.util.List;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Failures followed across revisions: {@code GET /api/models/{model}/revisions}, {@code
 * GET /api/models/{model}/trajectories?benchmark=}, {@code GET /api/models/{model}/regressions?benchmark=} and
 * {@code POST /api/models/{model}/revisions/{revision}/track?step=} (re-attribute the tracked failures there). On a
 * pod that runs no attributions ({@code faultline.role=triage}, no checkpoints) the track request is forwarded to the
 * workers on {@code attribution.requests}: 202 with {@code forwarded} true, {@code scheduled} 0 and, in {@code poll}
 * and the Location header, the trajectories to poll.
 */
@Path("/api/models")
@Produces(MediaType.APPLICATION_JSON)
public class TrackingResource {

    @Inject
    TrackingView view;

    @Inject
    FailureTracker tracker;

    @Inject
    FaultlineConfig faultline;

    @Inject
    FleetRequests requests;

    @GET
    @Path("/{model}/revisions")
    public RestResponse<List<Revision>> revisions(@PathParam("model") String model) {
        requireModel(model);
        return RestResponse.ok(view.revisions(model));
    }

    @GET
    @Path("/{model}/trajectories")
    public RestResponse<List<TrackingView.TrackedSet>> trajectories(
            @PathParam("model") String model, @QueryParam("benchmark") String benchmark) {
        requireModel(model);
        if (benchmark != null && !benchmark.isBlank() && !view.benchmarks(model).contains(benchmark)) {
            throw ApiException.notFound("no tracked set of " + model + " for benchmark '" + benchmark + "'");
        }
        return RestResponse.ok(view.trackedSets(model, benchmark));
    }

    @GET
    @Path("/{model}/regressions")
    public RestResponse<List<Regression>> regressions(
            @PathParam("model") String model, @QueryParam("benchmark") String benchmark) {
        requireModel(model);
        return RestResponse.ok(view.regressions(model, benchmark));
    }

    @POST
    @Path("/{model}/revisions/{revision}/track")
    public RestResponse<Tracked> track(
            @PathParam("model") String model, @PathParam("revision") String revision, @QueryParam("step") Long step) {
        if (step != null && step < 0) {
            throw ApiException.badRequest("step must be >= 0");
        }
        if (!faultline.role().attributes()) {
            requests.send(new TrackRequest(model, revision, step))
                    .toCompletableFuture()
                    .join();
            String poll = "/api/models/" + model + "/trajectories";
            return RestResponse.ResponseBuilder.accepted(new Tracked(model, revision, step, 0, true, poll))
                    .location(URI.create(poll))
                    .build();
        }
        int scheduled;
        try {
            scheduled = tracker.track(model, revision, step);
        } catch (ModelUnavailableException e) {
            throw ApiException.notFound(e.getMessage());
        }
        return RestResponse.accepted(new Tracked(model, revision, step, scheduled, null, null));
    }

    @Inject
    dev.faultline.compare.Comparisons comparisons;

    /** One row per benchmark of a model revision (default {@code main}): outcomes and attribution statistics. */
    @GET
    @Path("/{model}/benchmarks")
    public RestResponse<List<dev.faultline.compare.Comparisons.BenchmarkRow>> benchmarks(
            @PathParam("model") String model, @QueryParam("revision") String revision) {
        var rows = comparisons.benchmarks(
                new dev.faultline.compare.ModelRev(model, revision == null || revision.isBlank() ? "main" : revision));
        if (rows.isEmpty()) {
            throw ApiException.notFound("no results of " + model + "@" + (revision == null ? "main" : revision));
        }
        return RestResponse.ok(rows);
    }

    /**
     * Answer to a track request: the revision and how many re-attributions it scheduled; when forwarded to the
     * workers, {@code forwarded} and where to {@code poll} (both absent otherwise).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Tracked(String model, String revision, Long step, int scheduled, Boolean forwarded, String poll) {}

    private void requireModel(String model) {
        if (!view.models().contains(model)) {
            throw ApiException.notFound("no revisions or tracked failures of model '" + model + "'");
        }
    }
}
