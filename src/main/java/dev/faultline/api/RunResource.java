package dev.faultline.api;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.store.RunIndex;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.jboss.resteasy.reactive.RestResponse;

/** {@code GET /api/runs} and {@code GET /api/runs/{run_id}/failures}: runs with counts, and a run's failures. */
@Path("/api/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunResource {

    @Inject
    RunIndex index;

    @GET
    public List<RunIndex.RunSummary> runs() {
        return index.runs();
    }

    @GET
    @Path("/{runId: .+}/failures")
    public RestResponse<RunIndex.Page<RunIndex.EventSummary>> failures(
            @PathParam("runId") String runId,
            @QueryParam("page") @DefaultValue("0") int page,
            @QueryParam("size") @DefaultValue("50") int size,
            @QueryParam("status") String status) {
        AttributionStatus filter;
        try {
            filter = status == null || status.isBlank()
                    ? null
                    : AttributionStatus.valueOf(status.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(
                    "unknown status '" + status + "'; one of " + java.util.Arrays.toString(AttributionStatus.values()));
        }
        if (index.run(runId).isEmpty()) {
            throw ApiException.notFound("no run '" + runId + "'");
        }
        try {
            return RestResponse.ok(index.failures(runId, page, size, filter));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
