/**
 * Topics as code: the declarative topic file under kafka-topics/ and its idempotent apply.
 */
package dev.faultline.topics;
