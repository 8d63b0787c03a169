package dev.faultline.replay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.faultline.contract.EvalOutput;

/**
 * {@code replay FILE... (--bootstrap HOST:PORT | --url http://host:port | --dry-run) [--format v1|lm-eval] [--model NAME]
 * [--revision REV] [--run-id ID] [--task NAME] [--rate N/s] [--topic eval.outputs]}: publishes evaluation logs as v1
 * events to Kafka (key {@code run_id}) or to a running service. Bad records are reported with their line numbers and
 * skipped; the exit code is 1 when any were (or when the destination refused events), 2 for a usage error.
 */
public final class ReplayCommand {

    /** The default topic (DESIGN.md section 1). */
    public static final String DEFAULT_TOPIC = "eval.outputs";

    private ReplayCommand() {
    }

    static void usage(PrintStream out) {
        out.println("usage: replay FILE... (--bootstrap HOST:PORT | --url http://host:port | --dry-run)"
                + " [--format v1|lm-eval] [--model NAME] [--revision REV] [--run-id ID] [--task NAME]"
                + " [--rate N/s] [--topic " + DEFAULT_TOPIC + "]");
    }

    /** Parsed options. */
    record Options(List<Path> files, String bootstrap, String url, boolean dryRun, ReplayReader.Format format,
            ReplayReader.Stamp stamp, double rate, String topic) {
    }

    /** Runs the command with output to the process's streams; returns the exit code. */
    public static int run(String... args) {
        return run(System.out, System.err, System.console() != null, args);
    }

    /** Runs the command; {@code progress} draws the progress bar on {@code err}. */
    public static int run(PrintStream out, PrintStream err, boolean progress, String... args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("replay: " + e.getMessage());
            usage(err);
            return 2;
        }
        quietKafkaLogging();
        ObjectMapper json = new ObjectMapper();
        ReplayReader reader = new ReplayReader(json);
        Map<Path, List<ReplayItem>> items = new LinkedHashMap<>();
        int total = 0;
        int bad = 0;
        for (Path file : options.files()) {
            try {
                List<ReplayItem> list = reader.read(file, options.format(), options.stamp());
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
                return 1;
            }
        }
        int sent = 0;
        long start = System.nanoTime();
        EventSink.Failures failures;
        String destination;
        try (EventSink sink = open(options, out)) {
            destination = sink.describe();
            ProgressBar bar = new ProgressBar(err, progress, total);
            for (List<ReplayItem> list : items.values()) {
                for (ReplayItem item : list) {
                    if (item.isBad()) {
                        continue;
                    }
                    if (options.rate() > 0) {
                        pace(start, sent, options.rate());
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
            err.println("replay: " + e.getMessage() + " (" + sent + " events sent before)");
            return 1;
        } catch (JsonProcessingException e) {
            err.println("replay: cannot write event JSON: " + e.getMessage());
            return 1;
        }
        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        PrintStream summary = options.dryRun() ? err : out;
        summary.printf("replay: %d events sent to %s in %.1f s (%.1f events/s)%n", sent - failures.count(),
                destination, seconds, sent / seconds);
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
            summary.printf("  %s: %d events (%d correct, %d incorrect, %d unscored), %d bad%n",
                    e.getKey().getFileName(), ok, right, wrong, ok - right - wrong, badHere);
        }
        if (failures.count() > 0) {
            err.printf("replay: %d events were refused or lost; first: %s%n", failures.count(), failures.firstReason());
        }
        if (bad > 0) {
            err.printf("replay: %d bad record(s) skipped%n", bad);
        }
        return bad > 0 || failures.count() > 0 ? 1 : 0;
    }

    private static EventSink open(Options o, PrintStream out) {
        if (o.dryRun()) {
            return new PrintEventSink(out);
        }
        return o.bootstrap() != null ? new KafkaEventSink(o.bootstrap(), o.topic()) : new HttpEventSink(o.url());
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

    static Options parse(String... args) {
        List<Path> files = new ArrayList<>();
        Map<String, String> o = new LinkedHashMap<>();
        boolean dryRun = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--dry-run")) {
                dryRun = true;
            } else if (a.startsWith("--")) {
                String key = a.substring(2);
                String value;
                int eq = key.indexOf('=');
                if (eq >= 0) {
                    value = key.substring(eq + 1);
                    key = key.substring(0, eq);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                if (!List.of("bootstrap", "url", "format", "model", "revision", "run-id", "task", "rate", "topic")
                        .contains(key)) {
                    throw new IllegalArgumentException("unknown option --" + key);
                }
                o.put(key, value);
            } else {
                files.add(Path.of(a));
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no input FILE given");
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("no such file: " + f);
            }
        }
        int destinations = (o.containsKey("bootstrap") ? 1 : 0) + (o.containsKey("url") ? 1 : 0) + (dryRun ? 1 : 0);
        if (destinations != 1) {
            throw new IllegalArgumentException("give exactly one of --bootstrap HOST:PORT, --url http://host:port, --dry-run");
        }
        if (o.containsKey("bootstrap") && !o.get("bootstrap").matches("[^\\s,:]+:\\d+(,[^\\s,:]+:\\d+)*")) {
            throw new IllegalArgumentException("--bootstrap must be HOST:PORT[,HOST:PORT...], got " + o.get("bootstrap"));
        }
        if (o.containsKey("url")) {
            new HttpEventSink(o.get("url")); // validates the URL
        }
        double rate = 0;
        if (o.containsKey("rate")) {
            String r = o.get("rate").replaceFirst("/s$", "");
            try {
                rate = Double.parseDouble(r);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--rate must be N or N/s, got " + o.get("rate"));
            }
            if (!(rate > 0)) {
                throw new IllegalArgumentException("--rate must be positive, got " + o.get("rate"));
            }
        }
        ReplayReader.Format format = ReplayReader.Format.parse(o.getOrDefault("format", "v1"));
        return new Options(files, o.get("bootstrap"), o.get("url"), dryRun, format,
                new ReplayReader.Stamp(o.get("model"), o.get("revision"), o.get("run-id"), o.get("task")), rate,
                o.getOrDefault("topic", DEFAULT_TOPIC));
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
        public void close() {
        }
    }
}
