/**
 * Scoring of answered examples (exact, normalized, numeric, choice, contains, regex) into verdicts, and the choice of
 * the error position and contrast token for a wrong answer (DESIGN.md section 2.2).
 */
package dev.faultline.triage;
