package dev.faultline.engine.graph;

/**
 * Progress of a graph job: {@code phase} is {@code global} (the global backward, one sub-layer at a time),
 * {@code rows} (batched edge rows) or {@code done}; {@code fraction} in [0, 1].
 */
public record GraphProgress(String phase, long done, long total, double fraction) {}
