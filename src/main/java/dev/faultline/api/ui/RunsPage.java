package dev.faultline.api.ui;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.store.CheckpointIndex;
import dev.faultline.store.RunIndex;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * {@code /ui}: the runs with their counts, kept live by server-sent events from {@code /ui/stream}; and
 * {@code /ui/runs/{run_id}}: one run's failures, newest first, paged and filterable by status.
 */
@Path("/ui")
@Produces(MediaType.TEXT_HTML)
public class RunsPage {

    @Inject
    RunIndex index;

    @Inject
    RunUpdates updates;

    @Inject
    CheckpointIndex checkpoints;

    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    public TemplateInstance runs() {
        long version = updates.version(); // before reading: a change in between is sent again, never lost
        List<RunRow> rows = index.runs().stream().map(RunRow::of).toList();
        List<Link> models = checkpoints.models().stream()
                .map(m -> new Link(m, Links.model(m)))
                .toList();
        return UiTemplates.runs(rows, version, models);
    }

    /** Rows of runs changed after version {@code since} (the page's), then live, every half second at most. */
    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<RunRow> stream(@QueryParam("since") @DefaultValue("0") long since) {
        return updates.since(since);
    }

    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    @Path("/runs/{runId: .+}")
    public Response run(
            @PathParam("runId") String runId,
            @QueryParam("page") @DefaultValue("0") int page,
            @QueryParam("size") @DefaultValue("50") int size,
            @QueryParam("status") String status) {
        AttributionStatus filter = null;
        if (status != null && !status.isBlank()) {
            try {
                filter = AttributionStatus.valueOf(status.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return Pages.error(
                        Response.Status.BAD_REQUEST,
                        "Unknown status",
                        "Unknown status '" + status + "'; one of " + Arrays.toString(AttributionStatus.values()) + ".",
                        Links.run(runId),
                        "all failures of this run");
            }
        }
        var summary = index.run(runId);
        if (summary.isEmpty()) {
            return Pages.error(
                    Response.Status.NOT_FOUND,
                    "No such run",
                    "No results for run '" + runId + "' yet.",
                    Links.runs(),
                    "all runs");
        }
        RunIndex.Page<RunIndex.EventSummary> failures;
        try {
            failures = index.failures(runId, page, size, filter);
        } catch (IllegalArgumentException e) {
            return Pages.error(Response.Status.BAD_REQUEST, "Bad page", e.getMessage(), Links.run(runId), "first page");
        }
        return Response.ok(UiTemplates.run(RunPageView.of(RunRow.of(summary.get()), filter, failures)))
                .build();
    }
}
