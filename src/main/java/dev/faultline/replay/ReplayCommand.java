package dev.faultline.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.channels.Topics;
import dev.faultline.cli.Commands;
import dev.faultline.cli.Terminal;
import dev.faultline.cli.Version;
import dev.faultline.config.KafkaClients;
import dev.faultline.contract.EvalOutput;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code faultline replay}: publishes evaluation logs (v1 JSONL or lm-evaluation-harness sample logs) as v1 events to
 * Kafka (key {@code run_id}), to a running service, or to standard output. Bad records are reported with their line
 * numbers and skipped; the exit code is 1 when any were (or when the destination refused events), 2 for a usage error.
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = "Publishes evaluation logs as v1 events to Kafka, to a running service or to standard output.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            Commands.EXIT_OK,
            "1:bad records were skipped, or the destination refused events",
            Commands.EXIT_USAGE
        })
public final class ReplayCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(
            paramLabel = "FILE",
            arity = "0..*",
            description = "Sample logs: v1 JSONL, or lm-eval JSONL/JSON (or --follow DIR instead).")
    List<Path> files;

    @Option(
            names = "--follow",
            paramLabel = "DIR",
            order = 5,
            description = "Watch an lm-eval --output_path folder and publish each samples_*.jsonl once the harness "
                    + "has written it (implies --format lm-eval); runs until stopped and resumes without duplicates "
                    + "(published files are listed in --state). A log's own model_args (results_*.json beside it) "
                    + "name the model, revision and step; --model, --revision and --step fill in what it does not say.")
    Path follow;

    @Option(
            names = "--state",
            paramLabel = "FILE",
            order = 6,
            description =
                    "With --follow: the list of published files (default: DIR/" + LmEvalFollower.STATE_FILE + ").")
    Path state;

    @Option(
            names = "--poll-ms",
            paramLabel = "MS",
            defaultValue = "2000",
            order = 7,
            description = "With --follow: milliseconds between scans (default: ${DEFAULT-VALUE}).")
    long pollMs;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Destination (exactly one):%n", order = 0)
    Destination destination;

    @Option(
            names = "--format",
            paramLabel = "v1|lm-eval",
            defaultValue = "v1",
            converter = FormatConverter.class,
            order = 10,
            description = "Input format (default: ${DEFAULT-VALUE}).")
    ReplayReader.Format format;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            order = 11,
            description = "Model name stamped on the events (v1: replaces the event's; lm-eval default: the "
                    + "model_args of the results_*.json beside the log, else unknown).")
    String model;

    @Option(
            names = "--revision",
            paramLabel = "REV",
            order = 12,
            description = "Model revision stamped on the events (v1: replaces the event's; lm-eval default: the "
                    + "log's model_args, else main).")
    String revision;

    @Option(
            names = "--step",
            paramLabel = "N",
            order = 13,
            description = "Training step of the revision, stamped on the events (orders the checkpoints view).")
    Long step;

    @Option(
            names = "--run-id",
            paramLabel = "ID",
            order = 13,
            description = "Run id stamped on the events (v1: replaces the event's; lm-eval default: "
                    + "model/revision/task).")
    String runId;

    @Option(
            names = "--task",
            paramLabel = "NAME",
            order = 14,
            description = "lm-eval task name (default: read from the file name).")
    String task;

    @Option(
            names = "--rate",
            paramLabel = "N[/s]",
            converter = RateConverter.class,
            order = 15,
            description = "Events per second at most (default: as fast as the destination takes them).")
    double rate;

    @Option(
            names = "--topic",
            paramLabel = "TOPIC",
            defaultValue = Topics.EVAL_OUTPUTS,
            order = 16,
            description = "Kafka topic for --bootstrap (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--command-config",
            paramLabel = "FILE",
            order = 17,
            description = "Kafka producer properties for --bootstrap (security.protocol, sasl.*, ssl.*, timeouts), "
                    + "as Kafka's own tools take them.")
    Path commandConfig;

    /** Where the events go. */
    static final class Destination {

        @Option(
                names = {"--bootstrap", "--bootstrap-server"},
                paramLabel = "HOST:PORT[,HOST:PORT...]",
                order = 1,
                description = "Kafka bootstrap servers: publish to --topic, keyed by run_id.")
        String bootstrap;

        @Option(
                names = "--url",
                paramLabel = "http://host:port",
                order = 2,
                description = "A running service: POST /api/events (with tokens on, the bearer token in "
                        + "$FAULTLINE_TOKEN, role producer).")
        String url;

        @Option(names = "--dry-run", order = 3, description = "Print the events as JSON lines to standard output.")
        boolean dryRun;
    }

    private final Terminal terminal;

    public ReplayCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    /**
     * Runs the command with {@code args} (as after {@code faultline replay}); {@code progress} draws the progress bar
     * on {@code err}. Returns the exit code.
     */
    public static int run(PrintStream out, PrintStream err, boolean progress, String... args) {
        return Commands.execute(ReplayCommand.class, new Terminal(out, err, progress), args);
    }

    @Override
    public Integer call() {
        validate();
        PrintStream out = terminal.out();
        PrintStream err = terminal.err();
        boolean dryRun = destination.dryRun;
        ReplayReader.Stamp stamp = new ReplayReader.Stamp(model, revision, runId, task, step);
        quietKafkaLogging();
        ObjectMapper json = new ObjectMapper();
        ReplayReader reader = new ReplayReader(json);
        if (follow != null) {
            return follow(json, reader);
        }
        Map<Path, List<ReplayItem>> items = new LinkedHashMap<>();
        int total = 0;
        int bad = 0;
        for (Path file : files) {
            try {
                List<ReplayItem> list =
                        reader.read(file, format, format == ReplayReader.Format.LM_EVAL ? stampOf(file, json) : stamp);
                items.put(file, list);
                for (ReplayItem item : list) {
                    if (item.isBad()) {
                        bad++;
                        err.println(file + ":" + item.line() + ": skipped: " + item.error());
                    } else {
                        total++;
                    }
                }
            } catch (IOException e) {
                err.println("replay: cannot read " + file + ": " + e.getMessage());
                return Commands.FAILED;
            }
        }
        int sent = 0;
        long start = System.nanoTime();
        EventSink.Failures failures;
        String target;
        try (EventSink sink = open(out)) {
            target = sink.describe();
            ProgressBar bar = new ProgressBar(err, terminal.interactive(), total);
            for (List<ReplayItem> list : items.values()) {
                for (ReplayItem item : list) {
                    if (item.isBad()) {
                        continue;
                    }
                    if (rate > 0) {
                        pace(start, sent, rate);
                    }
                    sink.send(item.event(), json.writeValueAsString(item.event()));
                    sent++;
                    bar.update(sent, bad, false);
                }
            }
            sink.flush();
            bar.finish(sent, bad);
            failures = sink.failures();
        } catch (EventSink.SinkUnavailableException e) {
            err.println("replay: " + e.getMessage() + " (stopped after " + sent + " of " + total + " events)");
            return Commands.FAILED;
        } catch (JsonProcessingException e) {
            err.println("replay: cannot write event JSON: " + e.getMessage());
            return Commands.FAILED;
        }
        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        PrintStream summary = dryRun ? err : out;
        summary.printf(
                "replay: %d events sent to %s in %.1f s (%.1f events/s)%n",
                sent - failures.count(), target, seconds, sent / seconds);
        for (Map.Entry<Path, List<ReplayItem>> e : items.entrySet()) {
            int ok = 0;
            int right = 0;
            int wrong = 0;
            int badHere = 0;
            for (ReplayItem item : e.getValue()) {
                if (item.isBad()) {
                    badHere++;
                    continue;
                }
                ok++;
                Boolean c = item.event().correct();
                if (c == null) {
                    continue;
                }
                if (c) {
                    right++;
                } else {
                    wrong++;
                }
            }
            summary.printf(
                    "  %s: %d events (%d correct, %d incorrect, %d unscored), %d bad%n",
                    e.getKey().getFileName(), ok, right, wrong, ok - right - wrong, badHere);
        }
        if (failures.count() > 0) {
            err.printf("replay: %d events were refused or lost; first: %s%n", failures.count(), failures.firstReason());
        }
        if (bad > 0) {
            err.printf("replay: %d bad record(s) skipped%n", bad);
        }
        return bad > 0 || failures.count() > 0 ? Commands.FAILED : Commands.OK;
    }

    /** {@code --follow}: scans until the thread is interrupted (Ctrl-C ends the process). */
    private Integer follow(ObjectMapper json, ReplayReader reader) {
        PrintStream out = terminal.out();
        PrintStream err = terminal.err();
        PrintStream summary = destination.dryRun ? err : out;
        Path stateFile = state != null ? state : follow.resolve(LmEvalFollower.STATE_FILE);
        LmEvalFollower follower;
        try {
            follower = new LmEvalFollower(follow, stateFile, json);
        } catch (IOException e) {
            err.println("replay: cannot read the state file " + stateFile + ": " + e.getMessage());
            return Commands.FAILED;
        }
        summary.printf(
                "replay: following %s (%d file(s) published before, listed in %s)%n",
                follow, follower.publishedBefore(), stateFile);
        int bad = 0;
        int refused = 0;
        try (EventSink sink = open(out)) {
            String target = sink.describe();
            while (!Thread.currentThread().isInterrupted()) {
                for (Path file : follower.scan()) {
                    LmEvalFollower.Checkpoint cp = follower.checkpointOf(file);
                    String name = cp.name() != null ? cp.name() : model;
                    String rev = cp.revision() != null ? cp.revision() : revision;
                    Long st = cp.step() != null ? cp.step() : step != null ? step : LmEvalFollower.stepOf(rev);
                    List<ReplayItem> items = reader.read(
                            file, ReplayReader.Format.LM_EVAL, new ReplayReader.Stamp(name, rev, runId, task, st));
                    int sent = 0;
                    int refusedBefore = sink.failures().count();
                    for (ReplayItem item : items) {
                        if (item.isBad()) {
                            bad++;
                            err.println(file + ":" + item.line() + ": skipped: " + item.error());
                            continue;
                        }
                        sink.send(item.event(), json.writeValueAsString(item.event()));
                        sent++;
                    }
                    sink.flush();
                    refused += sink.failures().count() - refusedBefore;
                    follower.published(file);
                    EvalOutput.ModelRef ref = sent > 0
                            ? items.stream()
                                    .filter(i -> !i.isBad())
                                    .findFirst()
                                    .orElseThrow()
                                    .event()
                                    .model()
                            : null;
                    summary.printf(
                            "replay: %s: %d events sent to %s%s%n",
                            follow.relativize(file),
                            sent,
                            target,
                            ref == null
                                    ? ""
                                    : " as " + ref.key() + (ref.step() == null ? "" : " (step " + ref.step() + ")"));
                }
                try {
                    Thread.sleep(pollMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } catch (EventSink.SinkUnavailableException e) {
            err.println("replay: " + e.getMessage() + " (the file being sent is published again on restart)");
            return Commands.FAILED;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                return bad > 0 || refused > 0 ? Commands.FAILED : Commands.OK;
            }
            err.println("replay: " + e.getMessage());
            return Commands.FAILED;
        }
        return bad > 0 || refused > 0 ? Commands.FAILED : Commands.OK;
    }

    /**
     * The stamp of one lm-eval file: {@code --model}, {@code --revision} and {@code --step} as given, and what they
     * leave open from the log's own {@code model_args} (the {@code results_*.json} of its run, beside it), so that
     * replaying a checkpoint sweep's folders stamps each log with its own revision.
     */
    private ReplayReader.Stamp stampOf(Path file, ObjectMapper json) {
        LmEvalFollower.Checkpoint cp = model != null && revision != null && step != null
                ? new LmEvalFollower.Checkpoint(null, null, null)
                : LmEvalFollower.checkpointBeside(file, json);
        String name = model != null ? model : cp.name();
        String rev = revision != null ? revision : cp.revision();
        Long st = step != null ? step : LmEvalFollower.stepOf(rev);
        return new ReplayReader.Stamp(name, rev, runId, task, st);
    }

    private EventSink open(PrintStream out) {
        if (destination.dryRun) {
            return new PrintEventSink(out);
        }
        return destination.bootstrap != null
                ? new KafkaEventSink(
                        destination.bootstrap, topic, KafkaClients.commandLine(terminal.env(), commandConfig))
                : new HttpEventSink(destination.url);
    }

    /** Sleeps until event {@code sent} is due at {@code rate} per second. */
    private static void pace(long start, int sent, double rate) {
        long due = start + (long) (sent / rate * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The checks picocli cannot make: the files exist, the bootstrap list and the URL are well formed. */
    private void validate() {
        if (files == null) {
            files = List.of();
        }
        if (follow != null) {
            if (!files.isEmpty()) {
                throw Commands.usageError(spec, "give FILE... or --follow DIR, not both");
            }
            if (!Files.isDirectory(follow)) {
                throw Commands.usageError(spec, "no such folder: " + follow);
            }
            if (format == ReplayReader.Format.V1
                    && spec.commandLine().getParseResult().hasMatchedOption("--format")) {
                throw Commands.usageError(spec, "--follow reads lm-eval sample logs (--format lm-eval)");
            }
            if (pollMs <= 0) {
                throw Commands.usageError(spec, "--poll-ms must be positive, got " + pollMs);
            }
        } else if (files.isEmpty()) {
            throw Commands.usageError(spec, "give FILE... or --follow DIR");
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw Commands.usageError(spec, "no such file: " + f);
            }
        }
        if (destination.bootstrap != null && !destination.bootstrap.matches("[^\\s,:]+:\\d+(,[^\\s,:]+:\\d+)*")) {
            throw Commands.usageError(
                    spec, "--bootstrap must be HOST:PORT[,HOST:PORT...], got " + destination.bootstrap);
        }
        if (commandConfig != null) {
            if (destination.bootstrap == null) {
                throw Commands.usageError(spec, "--command-config applies to --bootstrap only");
            }
            if (!Files.isReadable(commandConfig)) {
                throw Commands.usageError(spec, "cannot read --command-config " + commandConfig);
            }
        }
        if (destination.url != null) {
            try {
                new HttpEventSink(destination.url); // validates the URL
            } catch (IllegalArgumentException e) {
                throw Commands.usageError(spec, e.getMessage());
            }
        }
    }

    /** {@code v1} or {@code lm-eval}. */
    static final class FormatConverter implements CommandLine.ITypeConverter<ReplayReader.Format> {

        @Override
        public ReplayReader.Format convert(String value) throws Exception {
            return Commands.parser(ReplayReader.Format::parse).convert(value);
        }
    }

    /** A positive number of events per second, {@code N} or {@code N/s}. */
    static final class RateConverter implements CommandLine.ITypeConverter<Double> {

        @Override
        public Double convert(String value) {
            double rate;
            try {
                rate = Double.parseDouble(value.replaceFirst("/s$", ""));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("--rate must be N or N/s, got " + value);
            }
            if (!(rate > 0)) {
                throw new CommandLine.TypeConversionException("--rate must be positive, got " + value);
            }
            return rate;
        }
    }

    /** The Kafka client logs its whole configuration at INFO: keep a command-line tool's output readable. */
    private static void quietKafkaLogging() {
        java.util.logging.Logger.getLogger("org.apache.kafka").setLevel(java.util.logging.Level.WARNING);
    }

    /** Prints events as JSON lines ({@code --dry-run}). */
    static final class PrintEventSink implements EventSink {

        private final PrintStream out;

        PrintEventSink(PrintStream out) {
            this.out = out;
        }

        @Override
        public void send(EvalOutput event, String json) {
            out.println(json);
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public Failures failures() {
            return new Failures(0, null);
        }

        @Override
        public String describe() {
            return "standard output";
        }

        @Override
        public void close() {}
    }
}
