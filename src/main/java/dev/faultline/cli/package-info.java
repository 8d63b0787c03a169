/**
 * The {@code faultline} command line (picocli): {@code attribute}, {@code replay}, {@code topics} and
 * {@code train-demo} run without starting the service; no arguments (or {@code serve}) starts it. {@link Commands}
 * runs it, {@link FaultlineMain} is the jar's entry point.
 */
package dev.faultline.cli;
