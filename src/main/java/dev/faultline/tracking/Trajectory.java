package dev.faultline.tracking;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One tracked failure across revisions, points in training order; the value on {@code attribution.trajectories}
 * (key {@code <model>/<benchmark>/<event_id>}) and in Redis.
 */
public record Trajectory(
        String model,
        String benchmark,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("example_id") String exampleId,
        String revision,
        String wrong,
        String contrast,
        List<TrajectoryPoint> points) {}
