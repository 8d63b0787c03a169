package dev.faultline.api.ui;

import dev.faultline.store.CheckpointIndex;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** {@code /ui/models/{model}}: a model's revisions in training order, optionally for one benchmark. */
@Path("/ui/models")
@Produces(MediaType.TEXT_HTML)
public class CheckpointsPage {

    @Inject
    CheckpointIndex checkpoints;

    @Inject
    dev.faultline.tracking.TrackingView tracking;

    @Inject
    dev.faultline.compare.Comparisons comparisons;

    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    @Path("/{model: .+}")
    public Response model(
            @PathParam("model") String model,
            @QueryParam("benchmark") String benchmark,
            @QueryParam("revision") String revision) {
        if (!checkpoints.knows(model)) {
            return Pages.error(
                    Response.Status.NOT_FOUND,
                    "No such model",
                    "No results for model '" + model + "' yet.",
                    Links.runs(),
                    "all runs");
        }
        String b = benchmark == null || benchmark.isBlank() ? null : benchmark;
        var revisions = checkpoints.revisions(model, b);
        return Response.ok(UiTemplates.model(
                        ModelView.of(
                                model,
                                b,
                                new ArrayList<>(checkpoints.benchmarks(model)),
                                checkpoints.segmentNames(model, b),
                                revisions),
                        TrackingSection.of(tracking, model, b),
                        benchmarks(model, revision)))
                .build();
    }

    /**
     * The benchmark table of one revision (default: the latest in training order); its rows link to a comparison of
     * the revision before it with it (of it with the next one, for the first).
     */
    private BenchmarksSection benchmarks(String model, String revision) {
        List<String> names = checkpoints.revisions(model, null).stream()
                .map(CheckpointIndex.Revision::name)
                .toList();
        if (names.isEmpty()) {
            return BenchmarksSection.of(model, revision, names, List.of(), null);
        }
        String rev = revision != null && names.contains(revision) ? revision : names.get(names.size() - 1);
        int i = names.indexOf(rev);
        String pair = names.size() < 2
                ? null
                : i > 0
                        ? model + "@" + names.get(i - 1) + "," + model + "@" + rev
                        : model + "@" + rev + "," + model + "@" + names.get(1);
        return BenchmarksSection.of(
                model, rev, names, comparisons.benchmarks(new dev.faultline.compare.ModelRev(model, rev)), pair);
    }
}
