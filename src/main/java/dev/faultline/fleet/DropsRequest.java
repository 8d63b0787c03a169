package dev.faultline.fleet;

/**
 * Marks an exception that a {@link FleetRequestHandler} throws when a request cannot be done on this worker for a
 * known reason (such as a model missing from its directory): the request is dropped with the exception's message
 * instead of failed with its stack trace.
 */
public interface DropsRequest {}
