package dev.faultline.topics;

import dev.faultline.cli.Commands;
import dev.faultline.cli.Terminal;
import dev.faultline.cli.Version;
import dev.faultline.config.KafkaClients;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code faultline topics}: {@code apply} makes a cluster's topics match {@code kafka-topics/topics.yaml} (creates
 * missing topics, sets drifted configs, reports what it cannot change, deletes nothing); {@code strimzi} prints the
 * same topics as Strimzi {@code KafkaTopic} resources. Exit codes: 0 in sync (after the run), 1 drift left (dry run
 * with pending changes, or partitions/replication differ), 2 usage or file error, 3 Kafka error.
 */
@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Topics as code: apply kafka-topics/topics.yaml to a cluster, or print Strimzi resources.",
        subcommands = {TopicsCommand.Apply.class, TopicsCommand.Strimzi.class},
        synopsisSubcommandLabel = "COMMAND",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:in sync", "1:drift left", "2:usage or topic-file error", "3:Kafka error"})
public final class TopicsCommand implements Callable<Integer> {

    /** Exit code of a Kafka error (unreachable cluster, refused request). */
    public static final int KAFKA_ERROR = 3;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw Commands.usageError(spec, "missing command: apply or strimzi");
    }

    /** The options that pick the declared topics. */
    static final class FileOptions {

        @Option(
                names = "--file",
                paramLabel = "FILE",
                description =
                        "Topic file (default: " + TopicsFile.DEFAULT_PATH + " if present, else the copy in the jar).")
        Path file;

        @Option(
                names = "--max-replicas",
                paramLabel = "N",
                description = "Caps every topic's replication factor (and min.insync.replicas below it), "
                        + "e.g. 1 for a single broker.")
        Integer maxReplicas;

        TopicsFile load() {
            TopicsFile topics = file != null ? TopicsFile.load(file) : defaultFile();
            if (maxReplicas == null) {
                return topics;
            }
            int cap = maxReplicas;
            return new TopicsFile(
                    topics.topics().stream().map(t -> t.withMaxReplicas(cap)).toList());
        }
    }

    /** {@code topics apply}. */
    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            versionProvider = Version.class,
            sortOptions = false,
            description = "Creates missing topics and sets drifted configs; reports partition/replication drift and "
                    + "undeclared overrides, deletes nothing.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:in sync after the run",
                "1:drift left (dry run with pending changes, or partitions/replication differ)",
                "2:usage or topic-file error",
                "3:Kafka error"
            })
    public static final class Apply implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(
                names = {"--bootstrap", "--bootstrap-server"},
                paramLabel = "HOST:PORT[,HOST:PORT...]",
                defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
                description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS).")
        String bootstrap;

        @Mixin
        FileOptions topics;

        @Option(names = "--dry-run", description = "Report the changes without making them (exit 1 if there are any).")
        boolean dryRun;

        @Option(
                names = "--command-config",
                paramLabel = "FILE",
                description = "Admin client properties (security settings, timeouts), as Kafka's own tools take them.")
        Path commandConfig;

        private final Terminal terminal;

        public Apply(Terminal terminal) {
            this.terminal = terminal;
        }

        @Override
        public Integer call() {
            try {
                TopicsFile file = topics.load();
                if (bootstrap == null || bootstrap.isBlank()) {
                    throw new IllegalArgumentException(
                            "--bootstrap HOST:PORT (or KAFKA_BOOTSTRAP_SERVERS) is required");
                }
                return apply(
                        adminConfig(bootstrap, commandConfig, terminal.env()),
                        file,
                        dryRun,
                        terminal.out(),
                        terminal.err());
            } catch (IllegalArgumentException e) {
                throw Commands.usageError(spec, e.getMessage());
            }
        }
    }

    /** {@code topics strimzi}. */
    @Command(
            name = "strimzi",
            mixinStandardHelpOptions = true,
            versionProvider = Version.class,
            sortOptions = false,
            description = "Prints the topics as Strimzi KafkaTopic resources (k8s/strimzi/kafka-topics.yaml).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {Commands.EXIT_OK, "2:usage or topic-file error"})
    public static final class Strimzi implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        FileOptions topics;

        @Option(
                names = "--cluster",
                paramLabel = "NAME",
                defaultValue = StrimziTopics.DEFAULT_CLUSTER,
                description = "The Strimzi Kafka cluster (label strimzi.io/cluster; default: ${DEFAULT-VALUE}).")
        String cluster;

        private final Terminal terminal;

        public Strimzi(Terminal terminal) {
            this.terminal = terminal;
        }

        @Override
        public Integer call() {
            TopicsFile file;
            try {
                file = topics.load();
            } catch (IllegalArgumentException e) {
                throw Commands.usageError(spec, e.getMessage());
            }
            terminal.out().print(StrimziTopics.render(file, cluster));
            return Commands.OK;
        }
    }

    /** Runs the command with {@code args} (as after {@code faultline topics}); returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Commands.execute(TopicsCommand.class, new Terminal(out, err, false), args);
    }

    static int apply(Properties config, TopicsFile file, boolean dryRun, PrintStream out, PrintStream err) {
        try (Admin admin = Admin.create(config)) {
            TopicsApplier.Report report = new TopicsApplier(admin).apply(file, dryRun);
            out.println((dryRun ? "dry run against " : "applied to ")
                    + config.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
            report.changes().forEach(out::println);
            if (report.unresolvedDrift()) {
                err.println("topics: drift that apply does not fix (see PARTITIONS_DIFFER / REPLICAS_DIFFER above)");
                return Commands.FAILED;
            }
            return dryRun && report.changed() ? Commands.FAILED : Commands.OK;
        } catch (ExecutionException e) {
            err.println("topics: Kafka error: " + e.getCause());
            return KAFKA_ERROR;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("topics: interrupted");
            return KAFKA_ERROR;
        } catch (org.apache.kafka.common.KafkaException e) {
            err.println("topics: Kafka error: " + e);
            return KAFKA_ERROR;
        }
    }

    static Properties adminConfig(String bootstrap, Path commandConfig, Map<String, String> env) {
        Properties p = KafkaClients.commandLine(env, commandConfig);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "faultline-topics");
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return p;
    }

    private static TopicsFile defaultFile() {
        Path local = Path.of(TopicsFile.DEFAULT_PATH);
        return Files.isRegularFile(local) ? TopicsFile.load(local) : TopicsFile.bundled();
    }
}
