package dev.faultline.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.faultline.api.ui.Links;
import dev.faultline.compare.CompareIndex;
import dev.faultline.compare.Comparisons;
import dev.faultline.compare.CrossScorer;
import dev.faultline.compare.ModelRev;
import dev.faultline.compare.ScoreRequest;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.fleet.FleetRequests;
import dev.faultline.pipeline.ModelRegistry;
import dev.faultline.store.ResultLookup;
import dev.faultline.tracking.TrackedFailure;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * Failures compared across models: {@code GET /api/compare?benchmark=B&models=a@rev,b@rev[,c@rev]} (the first model
 * against each other one, examples matched by {@code example_id}) and {@code POST /api/compare/track} (score a model
 * revision's failures on a benchmark on another model revision, queued for the workers). The benchmarks of one model
 * revision are {@code GET /api/models/{model}/benchmarks?revision=} ({@link TrackingResource}).
 */
@Path("/api/compare")
@Produces(MediaType.APPLICATION_JSON)
public class CompareResource {

    /** At most this many models on one comparison. */
    static final int MAX_MODELS = 3;

    @Inject
    Comparisons comparisons;

    @Inject
    CompareIndex index;

    @Inject
    CrossScorer scorer;

    @Inject
    FleetRequests requests;

    @Inject
    ResultLookup results;

    @Inject
    ModelRegistry registry;

    @GET
    public RestResponse<Comparisons.Report> compare(
            @QueryParam("benchmark") String benchmark, @QueryParam("models") String models) {
        if (benchmark == null || benchmark.isBlank()) {
            throw ApiException.badRequest("benchmark is required");
        }
        List<ModelRev> list = parseModels(models);
        if (list.size() < 2) {
            throw ApiException.badRequest("models needs 2 to " + MAX_MODELS + " model@revision, comma-separated");
        }
        for (ModelRev m : list) {
            if (index.entries(m, benchmark).isEmpty()
                    && index.scored(m, benchmark).isEmpty()) {
                throw ApiException.notFound("no results of " + m + " on benchmark '" + benchmark + "'");
            }
        }
        return RestResponse.ok(comparisons.compare(benchmark, list));
    }

    /** Parses {@code a@rev,b@rev[,c@rev]}; a 400 on anything else. */
    public static List<ModelRev> parseModels(String models) {
        List<ModelRev> list = new ArrayList<>();
        if (models == null || models.isBlank()) {
            return list;
        }
        for (String part : models.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            try {
                ModelRev m = ModelRev.parse(part);
                if (!list.contains(m)) {
                    list.add(m);
                }
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            }
        }
        if (list.size() > MAX_MODELS) {
            throw ApiException.badRequest("at most " + MAX_MODELS + " models, got " + list.size());
        }
        return list;
    }

    /** Body of {@code POST /api/compare/track}: {@code model@revision} strings and the benchmark. */
    public record TrackRequest(String source, String benchmark, String target) {}

    /** Answer: how many of the source's failures were queued, how many were queued or scored before. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Queued(
            String source, String benchmark, String target, int failures, int queued, int skipped, String poll) {}

    @POST
    @Path("/track")
    @Consumes(MediaType.APPLICATION_JSON)
    public RestResponse<Queued> track(TrackRequest body) {
        if (body == null
                || body.source() == null
                || body.target() == null
                || body.benchmark() == null
                || body.benchmark().isBlank()) {
            throw ApiException.badRequest("source, benchmark and target are required");
        }
        ModelRev source;
        ModelRev target;
        try {
            source = ModelRev.parse(body.source());
            target = ModelRev.parse(body.target());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (source.equals(target)) {
            throw ApiException.badRequest("source and target are the same model revision");
        }
        Map<String, CompareIndex.Entry> entries = index.entries(source, body.benchmark());
        if (entries.isEmpty()) {
            throw ApiException.notFound("no results of " + source + " on benchmark '" + body.benchmark() + "'");
        }
        List<String> onDisk = registry.revisions(target.model());
        if (!onDisk.isEmpty() && !onDisk.contains(target.revision())) {
            throw ApiException.notFound("no checkpoint of " + target + " (on disk: " + onDisk + ")");
        }
        int failures = 0;
        int queued = 0;
        int skipped = 0;
        var scored = index.scored(target, body.benchmark());
        List<java.util.concurrent.CompletableFuture<Void>> sends = new ArrayList<>();
        for (var e : entries.entrySet()) {
            CompareIndex.Entry entry = e.getValue();
            if (!entry.failed()
                    || (entry.status() != AttributionStatus.ATTRIBUTED
                            && entry.status() != AttributionStatus.LOW_LOGIT_DIFF)) {
                continue;
            }
            failures++;
            TrackedFailure f = results.find(entry.eventId())
                    .map(ResultLookup.Found::result)
                    .map(TrackedFailure::of)
                    .orElse(null);
            if (f == null || scored.containsKey(e.getKey()) || !scorer.claim(target, f)) {
                skipped++;
                continue;
            }
            queued++;
            sends.add(requests.send(new ScoreRequest(f, target.model(), target.revision()))
                    .toCompletableFuture()
                    .exceptionally(x -> {
                        scorer.release(target, f);
                        return null;
                    }));
        }
        java.util.concurrent.CompletableFuture.allOf(sends.toArray(java.util.concurrent.CompletableFuture[]::new))
                .join();
        String poll = "/api/compare?benchmark=" + Links.query(body.benchmark()) + "&models="
                + Links.query(source + "," + target);
        return RestResponse.ResponseBuilder.accepted(new Queued(
                        source.toString(), body.benchmark(), target.toString(), failures, queued, skipped, poll))
                .location(URI.create(poll))
                .build();
    }
}
