package dev.faultline.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

/** {@code faultline serve}: runs the service until it is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {
            "Runs the service: REST API, web view, metrics and the Kafka consumers of its role (faultline.role).",
            "Starts an embedded Kafka broker and Redis server for whatever is not configured "
                    + "(KAFKA_BOOTSTRAP_SERVERS, QUARKUS_REDIS_HOSTS). Settings: -D system properties or environment "
                    + "variables (see README, Configuration)." },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = { Commands.EXIT_OK, Commands.EXIT_USAGE })
public final class ServeCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        return serve();
    }

    /** Runs the service (returns once Quarkus has stopped). */
    static int serve() {
        FaultlineMain.serve();
        return Commands.OK;
    }
}
