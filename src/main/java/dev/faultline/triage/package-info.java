/**
 * Scoring of answered examples (exact, normalized, numeric, choice, contains, regex) into verdicts, and the choice of
 * the error position and contrast token for a wrong answer (docs/contract.md, the contrastive pair).
 */
package dev.faultline.triage;
