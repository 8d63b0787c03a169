package dev.faultline.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Watches an lm-evaluation-harness {@code --output_path} folder: the harness writes one
 * {@code samples_<task>_<date>.jsonl} per task (in a sub-folder per model) and a {@code results_<date>.json} beside
 * them. A samples file is ready once it ends with a newline and its size and modification time were the same at two
 * scans in a row; each ready file is handed out once. Files handed out and published are recorded in a state file
 * (one relative path per line), so a restarted follower skips them. Not thread-safe: one follower per folder.
 */
final class LmEvalFollower {

    /** The default state file, inside the followed folder. */
    static final String STATE_FILE = ".faultline-replay-published";

    private static final Pattern SAMPLES = Pattern.compile("^samples_.+\\.jsonl$");
    /** The harness's time stamp at the end of a samples file name ({@code _2026-12-07T09-42-24.912893.jsonl}). */
    private static final Pattern TIME_STAMP = Pattern.compile("_(\\d{4}-\\d{2}-\\d{2}T[\\d\\-.:]+)\\.jsonl?$");

    private static final Pattern STEP = Pattern.compile("(?i)(?:^|[^a-z])step[-_]?(\\d+)");

    private final Path dir;
    private final Path state;
    private final ObjectMapper json;
    private final Set<String> published = new HashSet<>();
    private final Map<Path, List<Long>> lastSeen = new HashMap<>();

    LmEvalFollower(Path dir, Path state, ObjectMapper json) throws IOException {
        this.dir = dir;
        this.state = state;
        this.json = json;
        if (Files.isRegularFile(state)) {
            for (String line : Files.readAllLines(state, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    published.add(line.strip());
                }
            }
        }
    }

    /** How many files earlier runs published (from the state file). */
    int publishedBefore() {
        return published.size();
    }

    /** One scan: the samples files that became ready since the last one and were never published, oldest first. */
    List<Path> scan() throws IOException {
        List<Path> found;
        try (Stream<Path> files = Files.walk(dir, 3)) {
            found = files.filter(Files::isRegularFile)
                    .filter(p -> SAMPLES.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparing(Path::toString))
                    .toList();
        }
        List<Path> ready = new ArrayList<>();
        for (Path file : found) {
            if (published.contains(key(file))) {
                continue;
            }
            List<Long> now;
            try {
                now = List.of(Files.size(file), Files.getLastModifiedTime(file).toMillis());
            } catch (IOException e) {
                continue; // removed or renamed while scanning
            }
            List<Long> before = lastSeen.put(file, now);
            if (now.equals(before) && now.get(0) > 0 && endsWithNewline(file)) {
                ready.add(file);
            }
        }
        return ready;
    }

    /** Records a file as published (appended to the state file before the next one is read). */
    void published(Path file) throws IOException {
        String key = key(file);
        if (published.add(key)) {
            if (state.getParent() != null) {
                Files.createDirectories(state.getParent());
            }
            Files.writeString(
                    state,
                    key + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND,
                    StandardOpenOption.SYNC);
        }
        lastSeen.remove(file);
    }

    private String key(Path file) {
        return dir.relativize(file).toString().replace('\\', '/');
    }

    private static boolean endsWithNewline(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long n = f.length();
            if (n == 0) {
                return false;
            }
            f.seek(n - 1);
            return f.read() == '\n';
        } catch (IOException e) {
            return false;
        }
    }

    /** The checkpoint a samples file belongs to: {@link #checkpointBeside(Path, ObjectMapper)}. */
    Checkpoint checkpointOf(Path samplesFile) {
        return checkpointBeside(samplesFile, json);
    }

    /**
     * The checkpoint a samples file belongs to, from the {@code results_*.json} beside it when there is one:
     * {@code model_args} {@code pretrained} (its last path part, the revision folder dropped) and {@code revision},
     * else {@code model_name}; the training step read from the revision ({@code step0050} → 50). The harness gives a
     * run's samples and results files the same time stamp, and a sweep over a hub model's revisions writes every run
     * into one folder, so the results file of the samples file's own run is read first; without one, the newest.
     * Fields it cannot tell are null.
     */
    static Checkpoint checkpointBeside(Path samplesFile, ObjectMapper json) {
        Path folder = samplesFile.toAbsolutePath().getParent();
        List<Path> results;
        try (Stream<Path> files = Files.list(folder)) {
            results =
                    new ArrayList<>(files.filter(p -> p.getFileName().toString().matches("^results_.+\\.json$"))
                            .sorted(Comparator.comparing(Path::toString).reversed())
                            .toList());
        } catch (IOException e) {
            return new Checkpoint(null, null, null);
        }
        Matcher stamp = TIME_STAMP.matcher(samplesFile.getFileName().toString());
        if (stamp.find()) {
            Path own = folder.resolve("results_" + stamp.group(1) + ".json");
            if (results.remove(own)) {
                results.add(0, own);
            }
        }
        for (Path r : results) {
            try {
                JsonNode root = json.readTree(r.toFile());
                return checkpointOf(root);
            } catch (IOException e) {
                // being written: the next one, or nothing
            }
        }
        return new Checkpoint(null, null, null);
    }

    /** A model name, revision and step; any may be null. */
    record Checkpoint(String name, String revision, Long step) {}

    static Checkpoint checkpointOf(JsonNode results) {
        JsonNode args = results.path("config").path("model_args");
        String pretrained = null;
        String revision = null;
        if (args.isObject()) {
            pretrained =
                    args.path("pretrained").isTextual() ? args.get("pretrained").asText() : null;
            revision = args.path("revision").isTextual() ? args.get("revision").asText() : null;
        } else if (args.isTextual()) {
            for (String kv : args.asText().split(",")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    String k = kv.substring(0, eq).strip();
                    String v = kv.substring(eq + 1).strip();
                    if (k.equals("pretrained") || k.equals("model")) {
                        pretrained = v;
                    } else if (k.equals("revision")) {
                        revision = v;
                    }
                }
            }
        }
        if (pretrained == null && results.path("model_name").isTextual()) {
            pretrained = results.get("model_name").asText();
        }
        String name = null;
        if (pretrained != null) {
            String p = pretrained.replaceAll("/+$", "");
            if (revision != null && p.endsWith("/" + revision)) {
                p = p.substring(0, p.length() - revision.length() - 1);
            }
            int slash = p.lastIndexOf('/');
            name = slash >= 0 ? p.substring(slash + 1) : p;
            if (name.isEmpty()) {
                name = null;
            }
        }
        return new Checkpoint(name, revision, stepOf(revision));
    }

    /** The training step a revision names ({@code step0050}, {@code step-1000}, {@code stage1-step2000}), or null. */
    static Long stepOf(String revision) {
        if (revision == null) {
            return null;
        }
        Matcher m = STEP.matcher(revision);
        Long step = null;
        while (m.find()) {
            step = Long.parseLong(m.group(1));
        }
        return step;
    }
}
