package dev.faultline.api.ui;

import dev.faultline.api.ApiException;
import dev.faultline.api.CompareResource;
import dev.faultline.compare.CompareIndex;
import dev.faultline.compare.Comparisons;
import dev.faultline.compare.ModelRev;
import dev.faultline.store.ResultsTopicUnavailableException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code /ui/compare?benchmark=B&models=a@rev,b@rev[,c@rev][&example=ID]}: model revisions on one benchmark; with
 * fewer than two models, a form to choose them; with {@code example}, that example's relevance on characters.
 */
@Path("/ui/compare")
@Produces(MediaType.TEXT_HTML)
public class ComparePage {

    @Inject
    Comparisons comparisons;

    @Inject
    CompareIndex index;

    @Operation(hidden = true) // an HTML page, not part of the API
    @GET
    public Response compare(
            @QueryParam("benchmark") String benchmark,
            @QueryParam("models") String models,
            @QueryParam("example") String example) {
        List<ModelRev> chosen;
        try {
            chosen = CompareResource.parseModels(models);
        } catch (ApiException e) {
            return Pages.error(
                    Response.Status.BAD_REQUEST, "Not a comparison", e.getMessage(), "/ui/compare", "choose models");
        }
        String b = benchmark == null || benchmark.isBlank() ? null : benchmark;
        List<String> benchmarks = new ArrayList<>(index.allBenchmarks());
        List<String> known = b == null ? List.of() : new ArrayList<>(index.models(b));
        CompareView.Form form = new CompareView.Form(
                benchmarks, known, b, chosen.stream().map(ModelRev::toString).toList());
        if (b == null || chosen.size() < 2) {
            return Response.ok(UiTemplates.compare(null, form)).build();
        }
        for (ModelRev m : chosen) {
            if (index.entries(m, b).isEmpty() && index.scored(m, b).isEmpty()) {
                return Pages.error(
                        Response.Status.NOT_FOUND,
                        "Nothing to compare",
                        "No results of " + m + " on benchmark '" + b + "'.",
                        "/ui/compare?benchmark=" + Links.query(b),
                        "choose models");
            }
        }
        try {
            Comparisons.Report report = comparisons.compare(b, chosen);
            CompareView.Chars chars = null;
            if (example != null && !example.isBlank()) {
                var a = comparisons.tokens(chosen.get(0), b, example);
                var c = comparisons.tokens(chosen.get(1), b, example);
                if (a != null && c != null) {
                    chars = CompareView.chars(
                            example, chosen.get(0).toString(), chosen.get(1).toString(), a, c);
                }
            }
            return Response.ok(UiTemplates.compare(CompareView.of(report, form, chars), form))
                    .build();
        } catch (ResultsTopicUnavailableException e) {
            return Pages.topicUnavailable(e, "/ui/compare?benchmark=" + Links.query(b), "choose models");
        }
    }
}
