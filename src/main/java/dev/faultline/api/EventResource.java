package dev.faultline.api;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.faultline.contract.EvalOutput;
import dev.faultline.pipeline.EventPublisher;
import dev.faultline.pipeline.EventValidator;
import dev.faultline.pipeline.InvalidEventException;
import io.smallrye.mutiny.Uni;

/** {@code POST /api/events}: validates a v1 event and publishes it to {@code eval.outputs} (202) or explains a 400. */
@Path("/api/events")
public class EventResource {

    /** Answer to an accepted event. */
    public record Accepted(@JsonProperty("event_id") String eventId) {
    }

    /** Answer to a rejected event: the reason code, the field at fault (JSON path) and a readable message. */
    public record Rejected(String error, String field, String message) {
    }

    private final EventValidator validator;
    private final EventPublisher publisher;

    public EventResource(EventValidator validator, EventPublisher publisher) {
        this.validator = validator;
        this.publisher = publisher;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit one faultline.eval-output/v1 event")
    @APIResponse(responseCode = "202", description = "Published to eval.outputs; body {\"event_id\": ...}")
    @APIResponse(responseCode = "400", description = "Invalid JSON, schema violation or oversize field; body names the field")
    public Uni<Response> submit(byte[] body) {
        EvalOutput event;
        try {
            event = validator.validate(body);
        } catch (InvalidEventException e) {
            return Uni.createFrom().item(Response.status(Response.Status.BAD_REQUEST)
                    .entity(new Rejected(e.reason(), e.field(), e.getMessage())).build());
        }
        return publisher.publish(event.runId(), body)
                .replaceWith(() -> Response.accepted(new Accepted(event.eventId())).build());
    }
}
