/**
 * Where results are kept for readers: the Redis result cache (content-addressed results and the event-id
 * idempotency index, with a TTL), the in-memory run read-model fed by the results topic, and the on-demand topic read
 * used when Redis misses. Redis is a cache; the results topic is the record.
 */
package dev.faultline.store;
