/**
 * Real local infrastructure for the default run and the tests: a KRaft Kafka broker and a Redis server on free
 * local ports, started only when no external Kafka or Redis is configured.
 */
package dev.faultline.embedded;
