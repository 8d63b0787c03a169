package dev.faultline.topics;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The {@code topics} sub-command: {@code topics apply --bootstrap HOST:PORT [--file F] [--dry-run] [--max-replicas N]
 * [--command-config admin.properties]} and {@code topics strimzi [--file F] [--cluster NAME]}.
 * Exit codes: 0 in sync (after the run), 1 drift left (dry run with pending changes, or partitions/replication
 * differ), 2 usage or file error, 3 Kafka error.
 */
public final class TopicsCommand {

    private TopicsCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !(args[0].equals("apply") || args[0].equals("strimzi"))) {
            usage(err);
            return 2;
        }
        String bootstrap = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        String fileArg = null;
        String cluster = StrimziTopics.DEFAULT_CLUSTER;
        String commandConfig = null;
        Integer maxReplicas = null;
        boolean dryRun = false;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--bootstrap", "--bootstrap-server" -> bootstrap = value(args, ++i);
                    case "--file" -> fileArg = value(args, ++i);
                    case "--cluster" -> cluster = value(args, ++i);
                    case "--command-config" -> commandConfig = value(args, ++i);
                    case "--max-replicas" -> maxReplicas = Integer.valueOf(value(args, ++i));
                    case "--dry-run" -> dryRun = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            TopicsFile file = load(fileArg);
            if (maxReplicas != null) {
                int cap = maxReplicas;
                file = new TopicsFile(file.topics().stream().map(t -> t.withMaxReplicas(cap)).toList());
            }
            if (args[0].equals("strimzi")) {
                out.print(StrimziTopics.render(file, cluster));
                return 0;
            }
            if (bootstrap == null || bootstrap.isBlank()) {
                throw new IllegalArgumentException("--bootstrap HOST:PORT (or KAFKA_BOOTSTRAP_SERVERS) is required");
            }
            return apply(adminConfig(bootstrap, commandConfig), file, dryRun, out, err);
        } catch (IllegalArgumentException e) {
            err.println("topics: " + e.getMessage());
            usage(err);
            return 2;
        }
    }

    static int apply(Properties config, TopicsFile file, boolean dryRun, PrintStream out, PrintStream err) {
        try (Admin admin = Admin.create(config)) {
            TopicsApplier.Report report = new TopicsApplier(admin).apply(file, dryRun);
            out.println((dryRun ? "dry run against " : "applied to ") + config.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
            report.changes().forEach(out::println);
            if (report.unresolvedDrift()) {
                err.println("topics: drift that apply does not fix (see PARTITIONS_DIFFER / REPLICAS_DIFFER above)");
                return 1;
            }
            return dryRun && report.changed() ? 1 : 0;
        } catch (ExecutionException e) {
            err.println("topics: Kafka error: " + e.getCause());
            return 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("topics: interrupted");
            return 3;
        } catch (org.apache.kafka.common.KafkaException e) {
            err.println("topics: Kafka error: " + e);
            return 3;
        }
    }

    static Properties adminConfig(String bootstrap, String commandConfig) {
        Properties p = new Properties();
        if (commandConfig != null) {
            try (InputStream in = Files.newInputStream(Path.of(commandConfig))) {
                p.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --command-config " + commandConfig + ": " + e.getMessage());
            }
        }
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "faultline-topics");
        p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return p;
    }

    private static TopicsFile load(String fileArg) {
        if (fileArg != null) {
            return TopicsFile.load(Path.of(fileArg));
        }
        Path local = Path.of(TopicsFile.DEFAULT_PATH);
        return Files.isRegularFile(local) ? TopicsFile.load(local) : TopicsFile.bundled();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    static void usage(PrintStream out) {
        out.println("usage: topics apply --bootstrap HOST:PORT [--file kafka-topics/topics.yaml] [--dry-run]"
                + " [--max-replicas N] [--command-config admin.properties]");
        out.println("       topics strimzi [--file kafka-topics/topics.yaml] [--cluster " + StrimziTopics.DEFAULT_CLUSTER
                + "] [--max-replicas N]");
    }
}
