package dev.faultline.pipeline;

/** The model an event names is missing from the registry directory or failed to load (recently). */
public class ModelUnavailableException extends RuntimeException {

    public ModelUnavailableException(String message) {
        super(message);
    }
}
