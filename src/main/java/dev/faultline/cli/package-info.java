/**
 * The command-line entry point: {@code attribute}, {@code replay}, {@code topics} and friends run without starting
 * the service; no arguments (or {@code serve}) starts it.
 */
package dev.faultline.cli;
