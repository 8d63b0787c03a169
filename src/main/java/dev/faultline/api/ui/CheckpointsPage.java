package dev.faultline.api.ui;

import java.util.ArrayList;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.faultline.store.CheckpointIndex;

/** {@code /ui/models/{model}}: a model's revisions in training order, optionally for one benchmark. */
@Path("/ui/models")
@Produces(MediaType.TEXT_HTML)
public class CheckpointsPage {

    @Inject
    CheckpointIndex checkpoints;
    @Inject
    dev.faultline.tracking.TrackingView tracking;

    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    @Path("/{model: .+}")
    public Response model(@PathParam("model") String model, @QueryParam("benchmark") String benchmark) {
        if (!checkpoints.knows(model)) {
            return Pages.error(Response.Status.NOT_FOUND, "No such model", "No results for model '" + model + "' yet.",
                    Links.runs(), "all runs");
        }
        String b = benchmark == null || benchmark.isBlank() ? null : benchmark;
        return Response.ok(UiTemplates.model(ModelView.of(model, b, new ArrayList<>(checkpoints.benchmarks(model)),
                checkpoints.segmentNames(model, b), checkpoints.revisions(model, b)),
                TrackingSection.of(tracking, model, b))).build();
    }
}
