package dev.faultline.pipeline;

import dev.faultline.fleet.DropsRequest;

/**
 * The model an event names is missing from the registry directory or failed to load (recently). A fleet request that
 * needs it is dropped on this worker.
 */
public class ModelUnavailableException extends RuntimeException implements DropsRequest {

    public ModelUnavailableException(String message) {
        super(message);
    }
}
