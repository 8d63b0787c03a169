package dev.faultline.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.compare.ScoreRequest;
import dev.faultline.pipeline.ForwardedGraphRequest;
import dev.faultline.pipeline.ModelUnavailableException;
import dev.faultline.tracking.RetrackRequest;
import dev.faultline.tracking.Revision;
import dev.faultline.tracking.TrackRequest;
import dev.faultline.tracking.TrackedFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * The JSON of each request kind on {@code attribution.requests}, as written before the kinds moved to the packages
 * that do them (so pods of either version read each other's requests), and {@link FleetRequests#handle} reading each
 * kind into its handler's record.
 */
class FleetRequestJsonTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static final TrackedFailure FAILURE = new TrackedFailure(
            "e1",
            "m",
            "main",
            null,
            "b",
            "x1",
            new int[] {1, 2},
            1,
            7,
            " 7",
            8,
            " 8",
            0.5,
            List.of(new TrackedFailure.TokenSpan("a", 0, 1, false, "prompt", null)),
            List.of("prompt"));

    static final String FAILURE_JSON = "{\"event_id\":\"e1\",\"model\":\"m\",\"revision\":\"main\",\"step\":null,"
            + "\"benchmark\":\"b\",\"example_id\":\"x1\",\"input_ids\":[1,2],\"position\":1,\"wrong\":7,"
            + "\"wrong_text\":\" 7\",\"contrast\":8,\"contrast_text\":\" 8\",\"logit_diff\":0.5,"
            + "\"tokens\":[{\"text\":\"a\",\"start\":0,\"end\":1,\"special\":false,\"segment\":\"prompt\"}],"
            + "\"segment_names\":[\"prompt\"]}";

    static final Revision REVISION = new Revision("step5", 5L, 3, 5.0);

    @Test
    void eachKindWritesTheSameJsonAsBefore() throws Exception {
        assertThat(JSON.writeValueAsString(new RetrackRequest(FAILURE, REVISION)))
                .isEqualTo("{\"kind\":\"retrack\",\"failure\":" + FAILURE_JSON
                        + ",\"revision\":{\"name\":\"step5\",\"step\":5,\"seq\":3,\"rank\":5.0}}");
        assertThat(JSON.writeValueAsString(new ForwardedGraphRequest("e1", 0.8, 0.9)))
                .isEqualTo("{\"kind\":\"graph\",\"event_id\":\"e1\",\"node_threshold\":0.8,\"edge_mass\":0.9}");
        assertThat(JSON.writeValueAsString(new TrackRequest("m", "step5", 5L)))
                .isEqualTo("{\"kind\":\"track\",\"model\":\"m\",\"revision_name\":\"step5\",\"step\":5}");
        assertThat(JSON.writeValueAsString(new TrackRequest("m", "step5", null)))
                .isEqualTo("{\"kind\":\"track\",\"model\":\"m\",\"revision_name\":\"step5\"}");
        assertThat(JSON.writeValueAsString(new ScoreRequest(FAILURE, "t", "main")))
                .isEqualTo("{\"kind\":\"score\",\"failure\":" + FAILURE_JSON
                        + ",\"model\":\"t\",\"revision_name\":\"main\"}");
    }

    @Test
    void keysAreTheFailureTheEventOrTheModel() {
        assertThat(new RetrackRequest(FAILURE, REVISION).key()).isEqualTo("m/b/e1");
        assertThat(new ScoreRequest(FAILURE, "t", "main").key()).isEqualTo("m/b/e1");
        assertThat(new ForwardedGraphRequest("e1", 0.8, 0.9).key()).isEqualTo("e1");
        assertThat(new TrackRequest("m", "step5", null).key()).isEqualTo("m");
    }

    /** Takes every kind; records what it was handed, and throws what it is told to. */
    static final class Recording implements FleetRequestHandler {
        final List<FleetRequest> handled = new ArrayList<>();
        RuntimeException fail;

        @Override
        public Map<String, Class<? extends FleetRequest>> kinds() {
            return Map.of(
                    RetrackRequest.KIND, RetrackRequest.class,
                    TrackRequest.KIND, TrackRequest.class,
                    ForwardedGraphRequest.KIND, ForwardedGraphRequest.class,
                    ScoreRequest.KIND, ScoreRequest.class);
        }

        @Override
        public CompletionStage<?> handle(FleetRequest request) {
            if (fail != null) {
                throw fail;
            }
            handled.add(request);
            return CompletableFuture.completedFuture(null);
        }
    }

    @Test
    void eachKindIsReadIntoItsHandlersRecord() throws Exception {
        Recording h = new Recording();
        FleetRequests fleet = new FleetRequests();
        fleet.json = JSON;
        fleet.handlers = List.of(h);
        List<FleetRequest> sent = List.of(
                new RetrackRequest(FAILURE, REVISION),
                new ForwardedGraphRequest("e1", 0.8, 0.9),
                new TrackRequest("m", "step5", 5L),
                new ScoreRequest(FAILURE, "t", "main"));
        for (FleetRequest r : sent) {
            fleet.handle(JSON.writeValueAsString(r)).toCompletableFuture().join();
        }
        assertThat(h.handled)
                .extracting(r -> r.getClass().getSimpleName() + " " + r.key())
                .containsExactly(
                        "RetrackRequest m/b/e1", "ForwardedGraphRequest e1", "TrackRequest m", "ScoreRequest m/b/e1");
        RetrackRequest retrack = (RetrackRequest) h.handled.get(0);
        assertThat(retrack.revision()).isEqualTo(REVISION);
        assertThat(retrack.failure().inputIds()).containsExactly(1, 2);
        assertThat(h.handled.get(1)).isEqualTo(new ForwardedGraphRequest("e1", 0.8, 0.9));
        assertThat(h.handled.get(2)).isEqualTo(new TrackRequest("m", "step5", 5L));

        // an unknown kind or unreadable JSON is skipped; a handler's exception ends the request, whichever it is
        fleet.handle("{\"kind\":\"rebuild\",\"event_id\":\"e1\"}")
                .toCompletableFuture()
                .join();
        fleet.handle("not json").toCompletableFuture().join();
        h.fail = new ModelUnavailableException("no checkpoint");
        fleet.handle(JSON.writeValueAsString(new TrackRequest("m", "step6", null)))
                .toCompletableFuture()
                .join();
        h.fail = new IllegalStateException("broken");
        fleet.handle(JSON.writeValueAsString(new TrackRequest("m", "step7", null)))
                .toCompletableFuture()
                .join();
        assertThat(h.handled).hasSize(4);
        assertThat(new ModelUnavailableException("x")).isInstanceOf(DropsRequest.class);
    }
}
