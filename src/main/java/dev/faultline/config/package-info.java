/**
 * Typed configuration of the service ({@code @ConfigMapping(prefix = "faultline")}).
 */
package dev.faultline.config;
