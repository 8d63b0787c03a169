package dev.faultline.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/** Entry point of the runnable jar: a sub-command runs on its own; no arguments (or {@code serve}) starts the service. */
@QuarkusMain
public class FaultlineMain {

    public static void main(String... args) {
        if (args.length > 0 && !"serve".equals(args[0])) {
            System.exit(Commands.run(args));
        }
        Quarkus.run(args);
    }
}
