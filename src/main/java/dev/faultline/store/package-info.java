/**
 * Redis: the content-addressed attribution cache, the event-id idempotency index and the run read model.
 * Redis is a cache; the results topic is the record.
 */
package dev.faultline.store;
