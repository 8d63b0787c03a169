/**
 * The attribution engine: Hugging Face checkpoints loaded into DJL NDArray forward passes whose AttnLRP rules are
 * written as stop-gradient rewrites, so one backward pass yields contrastive relevance for every input token and layer.
 * A plain library: no Quarkus, Kafka or Redis imports; usable from a {@code main} or a JUnit test.
 */
package dev.faultline.engine;
