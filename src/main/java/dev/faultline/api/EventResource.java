package dev.faultline.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.faultline.config.FaultlineConfig;
import dev.faultline.contract.EvalOutput;
import dev.faultline.pipeline.EventPublisher;
import dev.faultline.pipeline.EventValidator;
import dev.faultline.pipeline.InvalidEventException;
import dev.faultline.pipeline.KafkaReadiness;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * {@code POST /api/events}: validates a v1 event and publishes it to {@code eval.outputs} (202) or explains a 400.
 * When the broker is unreachable (the last readiness probe found it so, or it has not acknowledged the event within
 * {@code faultline.api.publish-timeout}) the answer is 503 with {@code Retry-After} and the reason, instead of holding
 * the request for the producer's own time-outs. An event answered 503 may still reach the topic later; sending it
 * again with the same {@code event_id} is safe (triage answers one event id once).
 */
@Path("/api/events")
public class EventResource {

    /** Answer to an accepted event. */
    public record Accepted(@JsonProperty("event_id") String eventId) {}

    /** Answer to a rejected event: the reason code, the field at fault (JSON path) and a readable message. */
    public record Rejected(String error, String field, String message) {}

    /** Seconds a client should wait before sending again after a 503. */
    static final int RETRY_AFTER_SECONDS = 5;

    private final EventValidator validator;
    private final EventPublisher publisher;
    private final KafkaReadiness broker;
    private final Duration publishTimeout;

    @Inject
    public EventResource(
            EventValidator validator,
            EventPublisher publisher,
            @Readiness KafkaReadiness broker,
            FaultlineConfig config) {
        this(validator, publisher, broker, config.api().publishTimeout());
    }

    /** @param publishTimeout how long to wait for the broker's acknowledgement before answering 503 */
    public EventResource(
            EventValidator validator, EventPublisher publisher, KafkaReadiness broker, Duration publishTimeout) {
        this.validator = validator;
        this.publisher = publisher;
        this.broker = broker;
        this.publishTimeout = publishTimeout;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit one faultline.eval-output/v1 event")
    @APIResponse(responseCode = "202", description = "Published to eval.outputs; body {\"event_id\": ...}")
    @APIResponse(
            responseCode = "400",
            description = "Invalid JSON, schema violation or oversize field; body names the field")
    @APIResponse(responseCode = "503", description = "Kafka unreachable: not published; Retry-After says when to retry")
    // on a worker thread: the schema check of a large event must not hold the HTTP event loop
    @io.smallrye.common.annotation.Blocking
    public Uni<Response> submit(byte[] body) {
        EvalOutput event;
        try {
            event = validator.validate(body);
        } catch (InvalidEventException e) {
            return Uni.createFrom()
                    .item(Response.status(Response.Status.BAD_REQUEST)
                            .entity(new Rejected(e.reason(), e.field(), e.getMessage()))
                            .build());
        }
        String down = broker == null ? null : broker.brokerDown();
        if (down != null) {
            return Uni.createFrom().item(unavailable("Kafka is unreachable: " + down));
        }
        return publisher
                .publish(event.runId(), body)
                .ifNoItem()
                .after(publishTimeout)
                .fail()
                .replaceWith(
                        () -> Response.accepted(new Accepted(event.eventId())).build())
                .onFailure()
                .recoverWithItem(e -> unavailable(
                        e instanceof io.smallrye.mutiny.TimeoutException
                                ? "Kafka did not acknowledge the event within " + publishTimeout.toMillis() + " ms"
                                : "Kafka refused the event: " + e.getMessage()));
    }

    private static Response unavailable(String message) {
        return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                .header("Retry-After", String.valueOf(RETRY_AFTER_SECONDS))
                .entity(new Rejected("broker_unavailable", null, message))
                .build();
    }
}
