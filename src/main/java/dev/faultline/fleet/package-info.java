/**
 * Work done once per fleet over {@code attribution.requests}: publishing requests, consuming them in the workers'
 * group, the group's lag. The request kinds and what they do belong to the packages that implement
 * {@link dev.faultline.fleet.FleetRequestHandler}; this package imports none of them.
 */
package dev.faultline.fleet;
