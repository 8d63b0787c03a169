package dev.faultline.replay;

/** {@code replay}: publishes evaluation logs to Kafka or to a running service. */
public final class ReplayCommand {

    private ReplayCommand() {
    }

    /** Runs the command; returns the exit code. */
    public static int run(String... args) {
        System.err.println("replay: not implemented yet");
        return 2;
    }
}
