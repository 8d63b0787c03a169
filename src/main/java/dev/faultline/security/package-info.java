/**
 * Who may call what: bearer tokens (JWT from any OIDC provider, verified by Quarkus' SmallRye JWT) carry the roles
 * {@code producer}, {@code operator} and {@code viewer}; {@link dev.faultline.security.RolePolicy} checks them per
 * request when {@link dev.faultline.security.AccessMode} requires tokens (external Kafka, or
 * {@code faultline.auth.enabled}). The default local run stays open and listens on the loopback interface only.
 */
package dev.faultline.security;
