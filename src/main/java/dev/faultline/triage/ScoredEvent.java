package dev.faultline.triage;

import dev.faultline.contract.EvalOutput;
import dev.faultline.contract.Verdict;

/**
 * A valid event with its verdict. {@code answer} is the extracted answer the verdict was reached on (null when the
 * producer's own {@code correct} was used); {@code reason} explains UNSCORABLE verdicts.
 */
public record ScoredEvent(EvalOutput event, Verdict verdict, String answer, String reason) {}
