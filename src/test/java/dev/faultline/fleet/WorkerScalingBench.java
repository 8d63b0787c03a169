package dev.faultline.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.faultline.bench.RealShapes;
import dev.faultline.contract.EvalOutput;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.tokenizer.HfTextTokenizer;
import dev.faultline.fleet.ServiceProcesses.Published;
import dev.faultline.fleet.ServiceProcesses.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A run's attributions/s with 1 worker process against 2 (bench/RESULTS.md), each worker 1 libtorch intra-op thread,
 * side by side on one broker, Redis and triage process; not a test: runs only with {@code -Dbench=true}, after
 * {@code package} ({@code bench/workers-throughput.sh}). Order: 1 worker, 2 workers, 1 worker (the second stopped),
 * 2 workers (a third started), each after a warm-up run on the new group. A run of N failures is sent at once; its
 * rate is (N - 1) / (last result - first result), the results' record timestamps. For each run the bench also prints
 * the CPU each process used between the first and the last result (from {@code /proc}, in cores), and each worker's
 * mean time per phase (its {@code faultline_attribution_seconds} timers).
 * <p>
 * Settings: {@code -Dbench.n} N (default 600); {@code -Dbench.warmup} failures per warm-up run (default 100, 20 with
 * a model); {@code -Dbench.batch-size} the workers' {@code faultline.attribution.batch-size} (default: the service's,
 * 1 with a model). By default the failures are the bundled demo model's, whose attributions take milliseconds. With
 * {@code -Dbench.model=DIR} they are failures of the checkpoint in DIR (the workers' models dir is DIR's parent, the
 * model's name DIR's name): prompts of {@code -Dbench.prompt-tokens} tokens (default 128) in its tokenizer, made of
 * random story words, each answered {@code " Tom."} against the reference {@code "Lily"}, producer-scored wrong, so
 * the pair is at the first output token; min-logit-diff is -1000, so every one is attributed (faithfulness as
 * configured). A DIR without config.json gets a random-weight Llama of {@code -Dbench.model-shape=L,D,F,H} (layers,
 * hidden size, intermediate size, heads; default 4,512,1376,8) with TinyStories-260K's tokenizer (vocab 512).
 */
class WorkerScalingBench {

    static final int PARTITIONS = 6;
    static final String JOBS = "attribution.jobs";
    static final Instant PRODUCED = Instant.parse("2026-12-07T00:00:00Z");

    /** Words of TinyStories-like prose, for prompts of a chosen length. */
    static final String[] WORDS = ("the a little girl boy dog cat park tree ball sun day happy sad big small red blue"
                    + " went saw played ran jumped said looked found wanted liked had was is and but so then with to"
                    + " in on of her his they she he it friend mom dad home toy box bird fish water sky house garden"
                    + " flower cake tired smiled laughed asked helped shared together very one time")
            .split(" ");

    ServiceProcesses fleet;
    final List<String> report = new ArrayList<>();
    final List<Sample> samples = new CopyOnWriteArrayList<>();
    final Map<String, Long> pids = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, Integer> statuses = new TreeMap<>();

    /** What the runs are failures of, and the settings of the services that attribute them. */
    record Workload(String describe, Path modelsDir, String model, TextTokenizer tokenizer, int promptTokens) {}

    Workload workload;
    String batchSize;

    @Test
    void measure() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true after `package`");
        assertThat(ServiceProcesses.JAR).as("run after `package`").exists();
        int n = Integer.getInteger("bench.n", 600);
        workload = workload();
        boolean heavy = workload.model() != null;
        int warmup = Integer.getInteger("bench.warmup", heavy ? 20 : 100);
        batchSize = System.getProperty("bench.batch-size", heavy ? "1" : null);
        report.add("workload: " + workload.describe() + "; batch size "
                + (batchSize == null ? "service default" : batchSize) + "; N = " + n + ", warm-up " + warmup
                + "; load average at start " + loadAverage());
        List<String> jvm = List.of(System.getProperty("bench.heap", "-Xmx512m"));
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (ServiceProcesses f = ServiceProcesses.start(PARTITIONS)) {
            fleet = f;
            pids.put(
                    "bench JVM (broker, producer, reader)",
                    ProcessHandle.current().pid());
            ProcessHandle.current()
                    .children()
                    .filter(p -> p.info().command().orElse("").contains("redis"))
                    .forEach(p -> pids.put("redis", p.pid()));
            Service triage = f.launch("triage", ServiceProcesses.JAR, jvm, settings("triage", null));
            Service w1 = f.launch("worker-1", ServiceProcesses.JAR, jvm, settings("worker", "worker-1"));
            pids.put("triage", triage.jvm().pid());
            pids.put("worker-1", w1.jvm().pid());
            sampler.scheduleAtFixedRate(this::sample, 0, 500, TimeUnit.MILLISECONDS);
            f.awaitReady(List.of(triage, w1), Duration.ofMinutes(4));
            group(1);
            run("warm-a", warmup, List.of(w1));
            double a1 = run("one-a", n, List.of(w1));

            Service w2 = f.launch("worker-2", ServiceProcesses.JAR, jvm, settings("worker", "worker-2"));
            pids.put("worker-2", w2.jvm().pid());
            f.awaitReady(List.of(w2), Duration.ofMinutes(4));
            group(2);
            run("warm-b", warmup, List.of(w1, w2));
            double b1 = run("two-a", n, List.of(w1, w2));

            w2.jvm().stop();
            pids.remove("worker-2");
            group(1);
            double a2 = run("one-b", n, List.of(w1));

            Service w3 = f.launch("worker-3", ServiceProcesses.JAR, jvm, settings("worker", "worker-3"));
            pids.put("worker-3", w3.jvm().pid());
            f.awaitReady(List.of(w3), Duration.ofMinutes(4));
            group(2);
            run("warm-c", warmup, List.of(w1, w3));
            double b2 = run("two-b", n, List.of(w1, w3));

            report.add(String.format(
                    "1 worker: %.2f, %.2f attributions/s; 2 workers: %.2f, %.2f attributions/s; "
                            + "2 / 1 (means): %.2fx; statuses of all results: %s; load average at end %s",
                    a1, a2, b1, b2, (b1 + b2) / (a1 + a2), statuses, loadAverage()));
        } finally {
            sampler.shutdownNow();
            System.out.println("=== worker scaling (" + Runtime.getRuntime().availableProcessors() + " cores) ===\n"
                    + String.join("\n", report));
        }
        if (heavy) {
            assertThat(statuses.keySet()).as("every failure attributed").containsOnly("ATTRIBUTED");
        }
    }

    /** The demo model's failures, or {@code bench.model}'s (written first when it is a random one not there yet). */
    static Workload workload() throws IOException {
        String dir = System.getProperty("bench.model");
        if (dir == null) {
            return new Workload("bundled demo model (addition)", Path.of("models"), null, null, 0);
        }
        Path model = Path.of(dir).toAbsolutePath();
        String shape = "existing checkpoint";
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            int[] s = java.util.Arrays.stream(System.getProperty("bench.model-shape", "4,512,1376,8")
                            .split(","))
                    .mapToInt(Integer::parseInt)
                    .toArray();
            Path shared = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"));
            RealShapes.Shape llama = new RealShapes.Shape(
                    model.getFileName().toString(),
                    "llama",
                    512,
                    s[1],
                    s[0],
                    s[3],
                    s[3],
                    s[1] / s[3],
                    s[2],
                    false,
                    10_000,
                    1e-5);
            RealShapes.write(llama, model, 1L << 30, shared.resolve("models/tinystories-260k"), 11);
            shape = String.format(
                    "random Llama, %d layers, hidden %d, intermediate %d, %d heads, vocab 512 (TinyStories-260K's"
                            + " tokenizer), %.1fM parameters, written now",
                    s[0], s[1], s[2], s[3], llama.parameters() / 1e6);
        }
        int promptTokens = Integer.getInteger("bench.prompt-tokens", 128);
        return new Workload(
                model + " (" + shape + "), prompts of " + promptTokens + " tokens",
                model.getParent(),
                model.getFileName().toString(),
                HfTextTokenizer.load(model),
                promptTokens);
    }

    /** A service's settings: the demo settings, the workload's models dir, the bench's batch size. */
    Map<String, String> settings(String role, String clientId) {
        Map<String, String> s = clientId == null
                ? ServiceProcesses.demoSettings(role, PARTITIONS)
                : ServiceProcesses.workerSettings(clientId, PARTITIONS);
        s.put("faultline.models.dir", workload.modelsDir().toAbsolutePath().toString());
        if (batchSize != null) {
            s.put("faultline.attribution.batch-size", batchSize);
        }
        return s;
    }

    void group(int members) {
        fleet.awaitGroup(ServiceProcesses.WORKER_GROUP, JOBS, members, PARTITIONS, Duration.ofMinutes(2));
    }

    /** Sends a run of {@code n} failures at once; returns its attributions/s between its first and last result. */
    double run(String name, int n, List<Service> workers) throws Exception {
        List<EvalOutput> events = workload.model() == null
                ? ServiceProcesses.failures("bench/" + name, n, name.hashCode())
                : storyFailures("bench/" + name, n, name.hashCode());
        Set<String> ids = events.stream().map(EvalOutput::eventId).collect(Collectors.toSet());
        Map<Service, Double> before = new LinkedHashMap<>();
        Map<Service, Map<String, double[]>> phasesBefore = new LinkedHashMap<>();
        workers.forEach(w -> {
            String m = fleet.metrics(w);
            before.put(w, ServiceProcesses.sum(m, "faultline_attributions_total"));
            phasesBefore.put(w, phases(m));
        });
        long sent = System.currentTimeMillis();
        fleet.publish(events, 0);
        Map<String, List<Published>> byEvent = fleet.results("bench/" + name, ids, Duration.ofMinutes(10));
        assertThat(byEvent.keySet()).as("results of " + name).containsAll(ids);
        long first = byEvent.values().stream()
                .mapToLong(l -> l.get(0).timestamp())
                .min()
                .orElseThrow();
        long last = byEvent.values().stream()
                .mapToLong(l -> l.get(0).timestamp())
                .max()
                .orElseThrow();
        double rate = (n - 1) * 1000.0 / Math.max(1, last - first);
        Map<String, Integer> status = new TreeMap<>();
        byEvent.values()
                .forEach(l -> status.merge(String.valueOf(l.get(0).result().status()), 1, Integer::sum));
        if (!name.startsWith("warm")) {
            status.forEach((k, v) -> statuses.merge(k, v, Integer::sum));
        }
        StringBuilder split = new StringBuilder();
        for (Service w : workers) {
            String m = fleet.metrics(w);
            split.append(String.format(
                    "%n    %s: %.0f results; mean ms per job %s",
                    w.name(),
                    ServiceProcesses.sum(m, "faultline_attributions_total") - before.get(w),
                    phaseMeans(phasesBefore.get(w), phases(m))));
        }
        report.add(String.format(
                "%-7s %d worker(s): %d results %s, first %.1f s after sending, last %.1f s: %.2f attributions/s"
                        + "%s%n    CPU between first and last result, cores: %s",
                name,
                workers.size(),
                n,
                status,
                (first - sent) / 1000.0,
                (last - sent) / 1000.0,
                rate,
                split,
                cores(first, last)));
        System.out.println(report.get(report.size() - 1));
        return rate;
    }

    /**
     * {@code n} failures of the workload's model, each with a distinct prompt of exactly the workload's prompt length
     * (BOS included) where the words allow, answered " Tom." against the reference "Lily" and scored wrong by the
     * producer; the output's first token differs from the reference's.
     */
    List<EvalOutput> storyFailures(String runId, int n, long seed) {
        TextTokenizer tok = workload.tokenizer();
        int want = workload.promptTokens();
        Random random = new Random(seed);
        Set<String> prompts = new HashSet<>();
        List<EvalOutput> out = new ArrayList<>();
        while (out.size() < n) {
            StringBuilder p = new StringBuilder("Once upon a time");
            int have = tok.encode(p.toString(), true).size();
            int misses = 0;
            while (have < want && misses < 50) {
                String next = p + " " + WORDS[random.nextInt(WORDS.length)];
                int c = tok.encode(next, true).size();
                if (c <= want) {
                    p.setLength(0);
                    p.append(next);
                    have = c;
                } else {
                    misses++;
                }
            }
            String prompt = p.toString();
            if (!prompts.add(prompt)) {
                continue;
            }
            int[] wrong = tok.encode(prompt + " Tom.", true).ids();
            int[] right = tok.encode(prompt + " Lily.", true).ids();
            int d = 0;
            while (d < Math.min(wrong.length, right.length) && wrong[d] == right[d]) {
                d++;
            }
            assertThat(d)
                    .as("first token where ' Tom.' and ' Lily.' differ after the prompt")
                    .isEqualTo(have);
            String exampleId = "story-" + out.size();
            out.add(new EvalOutput(
                    EvalOutput.SCHEMA,
                    runId + ":" + exampleId,
                    runId,
                    new EvalOutput.ModelRef(workload.model(), "main", null),
                    "bench-stories",
                    exampleId,
                    prompt,
                    " Tom.",
                    List.of("Lily"),
                    new EvalOutput.Scoring("regex", "^\\s*([A-Za-z]+)"),
                    false,
                    List.of(new EvalOutput.Segment("story", 0, prompt.length())),
                    null,
                    PRODUCED.toString()));
        }
        return out;
    }

    static final Pattern PHASE = Pattern.compile(
            "^faultline_attribution_seconds_(sum|count)\\{[^}]*phase=\"([^\"]+)\"[^}]*\\}\\s+(\\S+)",
            Pattern.MULTILINE);

    /** Sum (s) and count of each phase timer in a service's Prometheus text. */
    static Map<String, double[]> phases(String prometheus) {
        Map<String, double[]> out = new TreeMap<>();
        Matcher m = PHASE.matcher(prometheus);
        while (m.find()) {
            double[] v = out.computeIfAbsent(m.group(2), k -> new double[2]);
            v[m.group(1).equals("sum") ? 0 : 1] += Double.parseDouble(m.group(3));
        }
        return out;
    }

    /** Mean ms per job of each phase between two snapshots, e.g. "total 212.3, forward 40.1, ...". */
    static String phaseMeans(Map<String, double[]> before, Map<String, double[]> after) {
        List<String> parts = new ArrayList<>();
        after.forEach((phase, v) -> {
            double[] b = before.getOrDefault(phase, new double[2]);
            double count = v[1] - b[1];
            if (count > 0) {
                parts.add(String.format("%s %.1f", phase, (v[0] - b[0]) * 1000 / count));
            }
        });
        return String.join(", ", parts);
    }

    /** CPU ticks of each process of the bench and of the whole machine at one moment. */
    record Sample(long millis, Map<String, Long> ticks, long machineBusy) {}

    void sample() {
        try {
            Map<String, Long> t = new LinkedHashMap<>();
            pids.forEach((name, pid) -> {
                long v = processTicks(pid);
                if (v >= 0) {
                    t.put(name, v);
                }
            });
            samples.add(new Sample(System.currentTimeMillis(), t, machineBusyTicks()));
        } catch (RuntimeException e) {
            // a process that ended between listing and reading: the next sample has the rest
        }
    }

    /** Cores each process used between the samples nearest inside [from, to], and the machine as a whole. */
    String cores(long from, long to) {
        Sample a = null;
        Sample b = null;
        for (Sample s : samples) {
            if (s.millis() >= from && a == null) {
                a = s;
            }
            if (s.millis() <= to) {
                b = s;
            }
        }
        if (a == null || b == null || b.millis() - a.millis() < 1000) {
            return "(window too short to sample)";
        }
        double seconds = (b.millis() - a.millis()) / 1000.0;
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Long> e : b.ticks().entrySet()) {
            Long start = a.ticks().get(e.getKey());
            if (start != null) {
                parts.add(String.format("%s %.2f", e.getKey(), (e.getValue() - start) / TICKS / seconds));
            }
        }
        parts.add(String.format(
                "whole machine %.2f (of %d)",
                (b.machineBusy() - a.machineBusy()) / TICKS / seconds,
                Runtime.getRuntime().availableProcessors()));
        return String.join(", ", parts) + String.format(" (over %.1f s)", seconds);
    }

    /** Linux clock ticks per second (USER_HZ). */
    static final double TICKS = 100.0;

    /** utime + stime of a process from /proc/PID/stat, or -1 when it is gone. */
    static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Busy ticks of all CPUs (/proc/stat: everything but idle and iowait). */
    static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException e) {
            return 0;
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
