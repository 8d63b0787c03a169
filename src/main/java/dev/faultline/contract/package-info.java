/**
 * The records that cross process boundaries (Kafka topics, Redis, REST): the v1 evaluation event and the v1
 * attribution result of docs/contract.md. Jackson binds them; their JSON Schemas live in kafka-topics/schemas.
 */
package dev.faultline.contract;
