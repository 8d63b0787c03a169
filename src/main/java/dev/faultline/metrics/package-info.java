/**
 * The service's Prometheus meters: pipeline results and phase timings ({@link dev.faultline.metrics.PipelineMetrics})
 * and ingestion counters ({@link dev.faultline.metrics.IngestMetrics}). Meter names live here, so producers in
 * {@code pipeline} and {@code store} record without importing each other.
 */
package dev.faultline.metrics;
