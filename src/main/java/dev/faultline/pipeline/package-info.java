/**
 * Kafka channels and the attribution job runner: events in, verdicts counted, failures turned into jobs keyed by
 * model@revision and run one at a time on the engine, results out. Offsets are committed only after results are published.
 */
package dev.faultline.pipeline;
