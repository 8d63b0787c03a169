package dev.faultline.cli;

import java.io.PrintStream;

/**
 * Where a command writes: its standard output, its standard error, and whether a person is watching (progress bars
 * are drawn only then). The jar passes the process's streams; tests pass buffers.
 */
public record Terminal(PrintStream out, PrintStream err, boolean interactive) {

    /** The process's streams; interactive when the JVM has a console. */
    public static Terminal system() {
        return new Terminal(System.out, System.err, System.console() != null);
    }
}
