package dev.faultline.cli;

import dev.faultline.config.RoleChannels;
import dev.faultline.embedded.LocalServices;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code faultline serve}: runs the service until it is stopped. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = {
            "Runs the service: REST API, web view, metrics and the Kafka consumers of its role (faultline.role).",
            "Starts an embedded Kafka broker and Redis server for whatever is not configured "
                    + "(KAFKA_BOOTSTRAP_SERVERS, QUARKUS_REDIS_HOSTS). Settings: -D system properties or environment "
                    + "variables (see README, Configuration)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            Commands.EXIT_OK,
            Commands.EXIT_USAGE
                    + "; an unknown faultline.role; Kafka or Redis not configured in a build without the embedded ones"
        })
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return serve(spec);
    }

    /**
     * Runs the service (returns once Quarkus has stopped); an unknown {@code faultline.role} is a usage error of
     * {@code spec}'s command, reported before anything starts.
     */
    static int serve(CommandSpec spec) {
        try {
            RoleChannels.role(System::getenv, System::getProperty);
        } catch (IllegalArgumentException e) {
            throw Commands.usageError(spec, e.getMessage());
        }
        String cannotStart = LocalServices.cannotStartMissing(System::getenv, System::getProperty);
        if (cannotStart != null) {
            throw Commands.usageError(spec, cannotStart);
        }
        FaultlineMain.serve();
        return Commands.OK;
    }
}
