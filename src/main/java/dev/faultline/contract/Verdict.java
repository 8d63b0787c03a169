package dev.faultline.contract;

/** Outcome of scoring one answer. */
public enum Verdict {
    CORRECT,
    INCORRECT,
    UNSCORABLE
}
