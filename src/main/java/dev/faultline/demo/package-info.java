/**
 * The demo: a synthetic benchmark suite with known failure causes, the trainer of the bundled demo model, and the
 * demo producer that streams its answers as events in the default run.
 */
package dev.faultline.demo;
