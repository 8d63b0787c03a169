package dev.faultline.cli;

import java.io.PrintStream;
import java.util.Map;

/**
 * Where a command runs: its standard output, its standard error, whether a person is watching (progress bars are
 * drawn only then) and its environment (Kafka clients read their connection settings from it, as the service does).
 * The jar passes the process's; tests pass buffers and maps.
 */
public record Terminal(PrintStream out, PrintStream err, boolean interactive, Map<String, String> env) {

    /** Streams with the process's environment. */
    public Terminal(PrintStream out, PrintStream err, boolean interactive) {
        this(out, err, interactive, System.getenv());
    }

    /** The process's streams; interactive when the JVM has a console. */
    public static Terminal system() {
        return new Terminal(System.out, System.err, System.console() != null);
    }
}
