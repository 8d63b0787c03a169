/**
 * Producers on the command line: stream v1 or lm-evaluation-harness sample logs into Kafka or a running service.
 */
package dev.faultline.replay;
