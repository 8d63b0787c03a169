package dev.faultline.cli;

import dev.faultline.config.RoleChannels;
import dev.faultline.embedded.LocalServices;
import dev.faultline.security.LocalBinding;
import io.quarkus.runtime.Application;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Map;

/**
 * Entry point of the runnable jar: the {@code faultline} command line ({@link Commands}). A sub-command runs on its
 * own and its exit code ends the process; no arguments (or {@code serve}) starts the service, first starting an
 * embedded Kafka broker and Redis server for whatever is not configured.
 */
@QuarkusMain
public class FaultlineMain {

    private static volatile boolean serving;

    public static void main(String... args) {
        int code = Commands.run(args);
        if (!serving) {
            System.exit(code);
        }
        // the service ran: Quarkus has stopped it and ends the process itself (possibly from a shutdown hook, where
        // System.exit would block)
    }

    /** Whether this process ran (or is running) the service. */
    static boolean served() {
        return serving;
    }

    /** Starts the service and returns when Quarkus has stopped. */
    static void serve() {
        serving = true;
        // faultline.role: switch off the incoming channels this role does not run (before Quarkus reads its config)
        RoleChannels.disabledChannels(System::getenv, System::getProperty).forEach(System::setProperty);
        LocalServices local = LocalServices.startMissing(System::getenv, System::getProperty);
        for (Map.Entry<String, String> e : local.config().entrySet()) {
            // system properties (ordinal 400) win over application.properties
            System.setProperty(e.getKey(), e.getValue());
        }
        // the open default run (embedded broker) listens on the loopback interface only, unless a host is configured
        LocalBinding.host(System::getenv, System::getProperty, local.kafkaBootstrapServers() != null)
                .ifPresent(h -> System.setProperty(LocalBinding.HOST_PROPERTY, h));
        if (local.startedAnything()) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAfterQuarkus(local), "faultline-embedded-stop"));
            System.out.println("Faultline embedded services: Kafka " + orExternal(local.kafkaBootstrapServers())
                    + ", Redis " + orExternal(local.redisHosts()));
        }
        try {
            Quarkus.run();
        } finally {
            local.close();
        }
    }

    private static String orExternal(String embedded) {
        return embedded == null ? "(external, as configured)" : embedded + " (embedded)";
    }

    /** Waits (bounded) for Quarkus's own shutdown hook to stop the consumers, then stops the embedded servers. */
    private static void stopAfterQuarkus(LocalServices local) {
        Application app = Application.currentApplication();
        if (app != null) {
            Thread waiter = new Thread(app::awaitShutdown, "faultline-await-shutdown");
            waiter.setDaemon(true);
            waiter.start();
            try {
                waiter.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        local.close();
    }
}
