/**
 * REST resources and the server-rendered web view (Qute) over runs, failures, attributions and checkpoints.
 */
package dev.faultline.api;
