package dev.faultline.contract;

/** What happened to one event on its way to a result (docs/contract.md, the result). */
public enum AttributionStatus {
    ATTRIBUTED,
    CORRECT,
    UNSCORABLE,
    NO_CONTRAST,
    LOW_LOGIT_DIFF,
    MODEL_UNAVAILABLE,
    INPUT_TOO_LONG,
    FAILED
}
