package dev.faultline.api;

import dev.faultline.demo.DemoConfig;
import dev.faultline.demo.DemoRuns;
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
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * {@code POST /api/demo/runs?count=N&rate=R[&seed=S]} starts a demo run (the bundled demo model answers N held-out
 * addition problems, published to {@code eval.outputs} at R events/s); {@code GET /api/demo/runs} lists this
 * process's demo runs with their progress; {@code DELETE /api/demo/runs/{run_id}} cancels a queued or running one.
 * The endpoints exist only in the default local run or when enabled ({@code faultline.demo.endpoints}); 404 otherwise.
 */
@Path("/api/demo/runs")
@Produces(MediaType.APPLICATION_JSON)
public class DemoResource {

    @Inject
    DemoRuns demo;

    @Inject
    DemoConfig config;

    @POST
    @Operation(summary = "Start a demo run of the bundled demo model")
    @APIResponse(responseCode = "202", description = "Queued; body: the run and its progress")
    @APIResponse(responseCode = "400", description = "count or rate out of range (faultline.demo.max-count, max-rate)")
    @APIResponse(responseCode = "429", description = "faultline.demo.max-runs runs queued or running; Retry-After")
    public RestResponse<DemoRuns.DemoRun> start(
            @QueryParam("count") @DefaultValue("20") int count,
            @QueryParam("rate") Double rate,
            @QueryParam("seed") Long seed) {
        requireEndpoints();
        try {
            return RestResponse.accepted(
                    demo.start(count, rate == null ? config.rate() : rate, seed == null ? config.seed() : seed, false));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (DemoRuns.Full e) {
            throw ApiException.tooManyRequests(e.getMessage(), e.retryAfterSeconds());
        }
    }

    @GET
    public List<DemoRuns.DemoRun> runs() {
        requireEndpoints();
        return demo.runs();
    }

    @DELETE
    @Path("/{runId: .+}")
    @Operation(summary = "Cancel a queued or running demo run")
    @APIResponse(
            responseCode = "200",
            description = "Cancelled (state cancelled, or cancelling until the running run stops)")
    @APIResponse(responseCode = "409", description = "The run has already ended")
    public DemoRuns.DemoRun cancel(@PathParam("runId") String runId) {
        requireEndpoints();
        try {
            return demo.cancel(runId).orElseThrow(() -> ApiException.notFound("no demo run '" + runId + "'"));
        } catch (IllegalStateException e) {
            throw new ApiException(Response.Status.CONFLICT, e.getMessage(), null);
        }
    }

    private void requireEndpoints() {
        if (!demo.endpointsOn()) {
            throw ApiException.notFound("demo runs are off here (faultline.demo.endpoints)");
        }
    }
}
