package dev.faultline.api;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestResponse;

import dev.faultline.demo.DemoConfig;
import dev.faultline.demo.DemoRuns;

/**
 * {@code POST /api/demo/runs?count=N&rate=R[&seed=S]} starts a demo run (the bundled demo model answers N held-out
 * addition problems, published to {@code eval.outputs} at R events/s); {@code GET /api/demo/runs} lists this
 * process's demo runs with their progress.
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
    public RestResponse<DemoRuns.DemoRun> start(@QueryParam("count") @DefaultValue("20") int count, @QueryParam("rate") Double rate,
            @QueryParam("seed") Long seed) {
        try {
            return RestResponse.accepted(demo.start(count, rate == null ? config.rate() : rate,
                    seed == null ? config.seed() : seed, false));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    @GET
    public List<DemoRuns.DemoRun> runs() {
        return demo.runs();
    }
}
