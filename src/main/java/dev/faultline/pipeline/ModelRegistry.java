package dev.faultline.pipeline;

import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Finds checkpoints under a directory by {@code model.name} and {@code model.revision}, keeps the loaded ones in an
 * LRU bounded by count and weight bytes, and remembers load failures for a back-off period so that a broken model
 * costs one load attempt per period, not one per event.
 */
public final class ModelRegistry implements AutoCloseable {

    /** Loads one checkpoint directory (ModelLoader::load in production). */
    @FunctionalInterface
    public interface Loader {
        LanguageModel load(Path dir, DType dtype, Device device);

        /** Bytes the checkpoint will take once loaded, when known before loading (0: unknown). */
        default long weightBytes(Path dir, DType dtype) {
            return 0;
        }
    }

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    public static final String MAIN = "main";

    private final List<Path> roots;
    private final Loader loader;
    private final DType dtype;
    private final Device device;
    private final java.util.function.Function<String, Settings> perModel;
    /** Closes an evicted model: directly by default; through the engine's queue in the service (see below). */
    private volatile java.util.function.Consumer<LanguageModel> closer = LanguageModel::close;

    private final int maxLoaded;
    private final long maxBytes;
    private final Duration retryAfter;
    private final Clock clock;
    private final LinkedHashMap<String, LanguageModel> loaded = new LinkedHashMap<>(16, 0.75f, true);
    /** Leases held per model (identity): an evicted model is closed when its last lease ends, not before. */
    private final Map<LanguageModel, Integer> leases = new java.util.IdentityHashMap<>();
    /** Evicted models some lease still holds: out of the budget's count, closed by the last {@link Lease#close}. */
    private final java.util.Set<LanguageModel> retired =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    private final Map<String, Failure> failures = new LinkedHashMap<>();
    private long loadedBytes;

    private record Failure(String reason, long retryAtMillis) {}

    /** The compute settings of one model: dtype and device. */
    public record Settings(DType dtype, Device device) {}

    public ModelRegistry(
            Path root,
            Loader loader,
            DType dtype,
            Device device,
            int maxLoaded,
            long maxBytes,
            Duration retryAfter,
            Clock clock) {
        this(root == null ? List.of() : List.of(root), loader, dtype, device, maxLoaded, maxBytes, retryAfter, clock);
    }

    /** A registry looking in {@code roots} in order (the first directory holding the checkpoint wins). */
    public ModelRegistry(
            List<Path> roots,
            Loader loader,
            DType dtype,
            Device device,
            int maxLoaded,
            long maxBytes,
            Duration retryAfter,
            Clock clock) {
        this(roots, loader, dtype, device, name -> null, maxLoaded, maxBytes, retryAfter, clock);
    }

    /**
     * A registry whose models compute in {@code dtype} on {@code device}, but for those {@code perModel} (by model
     * name) returns other settings for.
     */
    public ModelRegistry(
            List<Path> roots,
            Loader loader,
            DType dtype,
            Device device,
            java.util.function.Function<String, Settings> perModel,
            int maxLoaded,
            long maxBytes,
            Duration retryAfter,
            Clock clock) {
        if (maxLoaded < 1) {
            throw new IllegalArgumentException("faultline.models.max-loaded must be at least 1, got " + maxLoaded);
        }
        this.roots = List.copyOf(roots);
        this.loader = loader;
        this.dtype = dtype;
        this.device = device;
        this.perModel = perModel;
        this.maxLoaded = maxLoaded;
        this.maxBytes = maxBytes;
        this.retryAfter = retryAfter;
        this.clock = clock;
    }

    /** The directories of a {@code faultline.models.dir} value: one path, or several separated by commas. */
    public static List<Path> roots(String dirs) {
        if (dirs == null) {
            return List.of();
        }
        return java.util.Arrays.stream(dirs.split(","))
                .map(String::trim)
                .filter(d -> !d.isEmpty())
                .map(Path::of)
                .toList();
    }

    /** {@code name@revision} with revision defaulting to main. */
    public static String key(String name, String revision) {
        return name + "@" + (revision == null || revision.isBlank() ? MAIN : revision);
    }

    /** The model a {@link #lease} holds, loaded when needed; called under the registry's lock. */
    private LanguageModel acquire(String name, String revision) {
        String rev = revision == null || revision.isBlank() ? MAIN : revision;
        String key = key(name, rev);
        LanguageModel model = loaded.get(key);
        if (model != null) {
            return model;
        }
        long now = clock.millis();
        Failure failure = failures.get(key);
        if (failure != null && now < failure.retryAtMillis()) {
            throw new ModelUnavailableException(failure.reason() + " (next attempt in "
                    + Duration.ofMillis(failure.retryAtMillis() - now).toSeconds() + " s)");
        }
        try {
            Path dir = resolve(name, rev);
            Settings s = settings(name);
            makeRoom(loader.weightBytes(dir, s.dtype()));
            long t0 = System.nanoTime();
            model = loader.load(dir, s.dtype(), s.device());
            LOG.infof(
                    "loaded model %s from %s in %d ms (%d weight bytes)",
                    key, dir, (System.nanoTime() - t0) / 1_000_000, model.weightBytes());
        } catch (RuntimeException | LinkageError e) {
            String reason =
                    "model " + key + " unavailable: " + (e.getMessage() == null ? e.toString() : e.getMessage());
            failures.put(key, new Failure(reason, now + retryAfter.toMillis()));
            LOG.warnf("%s; retrying after %s", reason, retryAfter);
            throw new ModelUnavailableException(reason);
        }
        failures.remove(key);
        loaded.put(key, model);
        loadedBytes += model.weightBytes();
        evict(key);
        return model;
    }

    /**
     * A model held for one unit of work (a job from acquiring the model to its summarised result): while any lease
     * on it is open, evicting the model does not close it; the last lease closes it. Without it a job of one
     * revision could read its model's tokenizer after a job of another revision had evicted and closed it.
     */
    public final class Lease implements AutoCloseable {
        private final LanguageModel model;
        private boolean closed;

        private Lease(LanguageModel model) {
            this.model = model;
        }

        public LanguageModel model() {
            return model;
        }

        @Override
        public void close() {
            synchronized (ModelRegistry.this) {
                if (closed) {
                    return;
                }
                closed = true;
                int n = leases.merge(model, -1, Integer::sum);
                if (n > 0) {
                    return;
                }
                leases.remove(model);
                if (!retired.remove(model)) {
                    return;
                }
            }
            closer.accept(model); // outside the lock: the service's closer waits for the engine's queue
        }
    }

    /**
     * The loaded model for {@code name}/{@code revision} (loading it, and evicting least recently used ones, when
     * needed), held by a lease: it stays open until the lease is closed, even if it is evicted meanwhile.
     *
     * @throws ModelUnavailableException with the reason when it is missing or failed to load within the back-off
     */
    public synchronized Lease lease(String name, String revision) {
        LanguageModel model = acquire(name, revision);
        leases.merge(model, 1, Integer::sum);
        return new Lease(model);
    }

    /** Evicted models still held by a lease (not yet closed). */
    public synchronized int retiredCount() {
        return retired.size();
    }

    /** Closes an evicted model now, or, while a lease holds it, when the last lease ends. */
    private void retire(LanguageModel model) {
        if (leases.getOrDefault(model, 0) > 0) {
            retired.add(model);
        } else {
            closer.accept(model);
        }
    }

    /**
     * How evicted models are closed. The service closes them on the engine's worker, after the passes already queued
     * for them ({@code AttributionEngine.release}): several threads (worker jobs of a batch, graphs, re-attribution)
     * may still be attributing with a model the registry evicts.
     */
    public void closeWith(java.util.function.Consumer<LanguageModel> closer) {
        this.closer = closer;
    }

    /** The dtype and device model {@code name} is loaded with. */
    public Settings settings(String name) {
        Settings s = perModel.apply(name);
        return s == null ? new Settings(dtype, device) : s;
    }

    /** The checkpoint directory for a name and revision, or an exception saying why there is none. */
    public Path resolve(String name, String revision) {
        if (roots.isEmpty()) {
            throw new ModelUnavailableException("faultline.models.dir (FAULTLINE_MODELS_DIR) is not set");
        }
        if (name == null || !SAFE_NAME.matcher(name).matches() || name.contains("..")) {
            throw new ModelUnavailableException("invalid model name '" + name + "'");
        }
        if (!SAFE_NAME.matcher(revision).matches() || revision.contains("..")) {
            throw new ModelUnavailableException("invalid model revision '" + revision + "'");
        }
        List<Path> candidates = new java.util.ArrayList<>();
        for (Path root : roots) {
            Path base = root.resolve(name);
            candidates.addAll(
                    MAIN.equals(revision) ? List.of(base, base.resolve(MAIN)) : List.of(base.resolve(revision)));
        }
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate.resolve("config.json"))) {
                return candidate;
            }
        }
        throw new ModelUnavailableException("no checkpoint for " + key(name, revision) + " under "
                + (roots.size() == 1 ? roots.get(0) : roots) + " (looked for config.json in " + candidates + ")");
    }

    /**
     * Revision folders found on disk for a model: {@code main} when {@code <dir>/<name>/config.json} exists, and every
     * sub-folder of {@code <dir>/<name>/} holding a {@code config.json} (names sorted; callers order them by step).
     */
    public List<String> revisions(String name) {
        if (roots.isEmpty() || name == null || !SAFE_NAME.matcher(name).matches() || name.contains("..")) {
            return List.of();
        }
        java.util.TreeSet<String> found = new java.util.TreeSet<>();
        for (Path root : roots) {
            Path base = root.resolve(name);
            if (Files.isRegularFile(base.resolve("config.json"))) {
                found.add(MAIN);
            }
            if (!Files.isDirectory(base)) {
                continue;
            }
            try (java.util.stream.Stream<Path> children = Files.list(base)) {
                children.filter(p -> Files.isRegularFile(p.resolve("config.json")))
                        .map(p -> p.getFileName().toString())
                        .filter(n -> SAFE_NAME.matcher(n).matches())
                        .forEach(found::add);
            } catch (java.io.IOException e) {
                // an unreadable folder holds no revisions we can load
            }
        }
        return List.copyOf(found);
    }

    /** Keys of the loaded models, least recently used first. */
    public synchronized List<String> loadedKeys() {
        return List.copyOf(loaded.keySet());
    }

    public synchronized long loadedBytes() {
        return loadedBytes;
    }

    /** Closes least recently used models until {@code bytes} more fit the budget (or none is left loaded). */
    private void makeRoom(long bytes) {
        Iterator<Map.Entry<String, LanguageModel>> it = loaded.entrySet().iterator();
        while (bytes > 0 && loadedBytes + bytes > maxBytes && it.hasNext()) {
            Map.Entry<String, LanguageModel> eldest = it.next();
            it.remove();
            loadedBytes -= eldest.getValue().weightBytes();
            LOG.infof("evicting model %s to make room for %d bytes", eldest.getKey(), bytes);
            retire(eldest.getValue());
        }
    }

    private void evict(String keep) {
        Iterator<Map.Entry<String, LanguageModel>> it = loaded.entrySet().iterator();
        while ((loaded.size() > maxLoaded || loadedBytes > maxBytes) && it.hasNext()) {
            Map.Entry<String, LanguageModel> eldest = it.next();
            if (eldest.getKey().equals(keep)) {
                continue;
            }
            it.remove();
            loadedBytes -= eldest.getValue().weightBytes();
            LOG.infof("evicting model %s", eldest.getKey());
            retire(eldest.getValue());
        }
    }

    @Override
    public synchronized void close() {
        loaded.values().forEach(LanguageModel::close);
        retired.forEach(LanguageModel::close);
        retired.clear();
        leases.clear();
        loaded.clear();
        loadedBytes = 0;
    }
}
