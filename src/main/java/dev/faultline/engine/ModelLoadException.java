package dev.faultline.engine;

/** A checkpoint could not be loaded: missing files or tensors, shape mismatches, unsupported architecture or options. */
public class ModelLoadException extends RuntimeException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
