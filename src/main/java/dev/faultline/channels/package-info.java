/**
 * Names of the Kafka topics ({@link dev.faultline.channels.Topics}) and of the messaging channels bound to them
 * ({@link dev.faultline.channels.Channels}), in one place that every other package may import: it imports nothing.
 */
package dev.faultline.channels;
