package dev.faultline.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** Dispatches the command-line sub-commands; none of them starts Kafka, Redis or the HTTP server unless it says so. */
public final class Commands {

    private Commands() {
    }

    /** Runs {@code args[0]} with the remaining arguments and returns the process exit code. */
    public static int run(String... args) {
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            // ops: topics as code (kafka-topics/topics.yaml)
            case "topics":
                return dev.faultline.topics.TopicsCommand.run(rest, System.out, System.err);
            // engine area: one attribution or a JSONL batch, plain Java (no Kafka/Redis)
            case "attribute":
                return AttributeCommand.run(rest, System.out, System.err);
            case "help", "--help", "-h":
                usage(System.out);
                return 0;
            // demo area: training of the bundled demo model, replay of evaluation logs
            case "train-demo":
                return dev.faultline.demo.TrainDemoCommand.run(rest);
            case "replay":
                return dev.faultline.replay.ReplayCommand.run(rest);
            default:
                System.err.println("unknown command: " + command);
                usage(System.err);
                return 2;
        }
    }

    static void usage(PrintStream out) {
        out.println("usage: java -jar target/quarkus-app/quarkus-run.jar [COMMAND] [OPTIONS]");
        out.println("  (none) | serve   run the service (embedded Kafka + Redis unless configured)");
        out.println("  attribute ...    attribute one input or a JSONL file of requests, print JSON");
        out.println("  replay ...       publish v1 or lm-eval sample logs to Kafka or a running service");
        out.println("  topics ...       apply kafka-topics/topics.yaml to a cluster, or print Strimzi resources");
        out.println("  train-demo ...   train the bundled demo model");
        out.println("  help             this text");
    }
}
