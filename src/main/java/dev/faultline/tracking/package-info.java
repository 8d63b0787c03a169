/**
 * Failures followed across training checkpoints: ordered revisions, tracked failure sets, re-attribution and
 * trajectories, regressions.
 */
package dev.faultline.tracking;
