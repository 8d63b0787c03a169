package dev.faultline.engine;

/** A vocabulary entry with its logit at the target position. */
public record TokenLogit(int id, String text, double logit) {}
