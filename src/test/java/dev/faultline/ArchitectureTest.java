package dev.faultline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package rules of README's architecture section, read from the sources under {@code src/main/java}: every
 * reference to {@code dev.faultline.<package>.} in code (imports and fully qualified names; comments do not count)
 * is a dependency of the file's top-level package.
 */
class ArchitectureTest {

    static final Path ROOT = Path.of("src/main/java/dev/faultline");
    /** The packages whose work fleet carries: they implement its request handlers, it knows none of them. */
    static final Set<String> FLEET_USERS = Set.of("pipeline", "tracking");

    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.faultline\\.([a-z]+)\\.");
    private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** One reference: the file, its top-level package and the top-level package it uses. */
    record Use(Path file, String from, String to) {
        @Override
        public String toString() {
            return from + " -> " + to + " (" + ROOT.relativize(file) + ")";
        }
    }

    /** Every cross-package reference in the main sources. */
    static List<Use> uses(Path root) {
        List<Use> uses = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path rel = root.relativize(file);
                if (rel.getNameCount() < 2) {
                    continue;
                }
                String from = rel.getName(0).toString();
                String code = COMMENTS.matcher(Files.readString(file))
                        .replaceAll(" ")
                        .replaceFirst("(?m)^package [^;]*;", "");
                Matcher m = REFERENCE.matcher(code);
                Set<String> seen = new TreeSet<>();
                while (m.find()) {
                    if (!m.group(1).equals(from) && seen.add(m.group(1))) {
                        uses.add(new Use(file, from, m.group(1)));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return uses;
    }

    static List<Use> violations(List<Use> uses) {
        List<Use> bad = new ArrayList<>();
        for (Use u : uses) {
            boolean forbidden = switch (u.from()) {
                case "engine", "channels" -> true;
                case "store", "embedded", "config" -> u.to().equals("pipeline");
                case "fleet" -> FLEET_USERS.contains(u.to());
                default -> false;
            };
            if (u.to().equals("embedded") && !Set.of("cli", "demo").contains(u.from())) {
                forbidden = true;
            }
            if (forbidden) {
                bad.add(u);
            }
        }
        return bad;
    }

    @Test
    void packagesKeepTheirImportRules() {
        assertThat(violations(uses(ROOT))).isEmpty();
    }

    @Test
    void storeEmbeddedAndPipelineFormNoCycle() {
        assertNoCycle(uses(ROOT), Set.of("store", "embedded", "pipeline"));
    }

    @Test
    void pipelineFleetAndTrackingFormNoCycle() {
        assertNoCycle(uses(ROOT), Set.of("pipeline", "fleet", "tracking"));
    }

    @Test
    void fleetDoesNotReachPipelineOrTrackingThroughOtherPackages() {
        Map<String, Set<String>> edges = new TreeMap<>();
        for (Use u : uses(ROOT)) {
            edges.computeIfAbsent(u.from(), k -> new TreeSet<>()).add(u.to());
        }
        assertThat(reachable(edges, "fleet"))
                .as("packages fleet depends on, directly or not, via " + edges)
                .doesNotContainAnyElementsOf(FLEET_USERS);
    }

    /** No package of {@code core} reaches itself through imports among {@code core}. */
    static void assertNoCycle(List<Use> uses, Set<String> core) {
        Map<String, Set<String>> edges = new TreeMap<>();
        for (Use u : uses) {
            if (core.contains(u.from()) && core.contains(u.to())) {
                edges.computeIfAbsent(u.from(), k -> new TreeSet<>()).add(u.to());
            }
        }
        for (String start : core) {
            assertThat(reachable(edges, start))
                    .as("packages reachable from " + start + " via " + edges)
                    .doesNotContain(start);
        }
    }

    @Test
    void storeDoesNotReachPipelineThroughOtherPackages() {
        Map<String, Set<String>> edges = new TreeMap<>();
        for (Use u : uses(ROOT)) {
            edges.computeIfAbsent(u.from(), k -> new TreeSet<>()).add(u.to());
        }
        assertThat(reachable(edges, "store"))
                .as("packages store depends on, directly or not, via " + edges)
                .doesNotContain("pipeline");
    }

    private static Set<String> reachable(Map<String, Set<String>> edges, String start) {
        Set<String> seen = new TreeSet<>();
        List<String> todo = new ArrayList<>(edges.getOrDefault(start, Set.of()));
        while (!todo.isEmpty()) {
            String p = todo.remove(todo.size() - 1);
            if (seen.add(p)) {
                todo.addAll(edges.getOrDefault(p, Set.of()));
            }
        }
        return seen;
    }

    @Test
    void aStoreImportOfPipelineIsCaught() throws IOException {
        // the scan itself: a copy of one store class with a pipeline import must be reported
        Path tmp = Files.createTempDirectory("arch");
        try {
            Path store = Files.createDirectories(tmp.resolve("store"));
            Files.writeString(store.resolve("X.java"), """
                    package dev.faultline.store;

                    import dev.faultline.contract.AttributionResult;
                    // import dev.faultline.pipeline.InComment;
                    import dev.faultline.pipeline.ModelRegistry;

                    /** Uses {@link dev.faultline.pipeline.InJavadoc}. */
                    class X {
                        dev.faultline.engine.Method method;
                    }
                    """);
            assertThat(violations(uses(tmp))).extracting(Use::to).containsExactly("pipeline");
            assertThat(uses(tmp)).extracting(Use::to).containsExactlyInAnyOrder("contract", "pipeline", "engine");
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aFleetImportOfPipelineOrTrackingIsCaught() throws IOException {
        Path tmp = Files.createTempDirectory("arch");
        try {
            Path fleet = Files.createDirectories(tmp.resolve("fleet"));
            Path pipeline = Files.createDirectories(tmp.resolve("pipeline"));
            Files.writeString(fleet.resolve("X.java"), """
                    package dev.faultline.fleet;

                    import dev.faultline.channels.Topics;
                    import dev.faultline.pipeline.GraphJobs;

                    class X {
                        dev.faultline.tracking.FailureTracker tracker;
                    }
                    """);
            Files.writeString(pipeline.resolve("Y.java"), """
                    package dev.faultline.pipeline;

                    import dev.faultline.fleet.FleetRequests;

                    class Y {}
                    """);
            List<Use> uses = uses(tmp);
            assertThat(violations(uses)).extracting(Use::to).containsExactlyInAnyOrder("pipeline", "tracking");
            assertThatThrownBy(() -> assertNoCycle(uses, Set.of("pipeline", "fleet", "tracking")))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("packages reachable from");
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void readmeArchitectureSectionNamesEveryPackage() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n## Architecture\n");
        assertThat(start).as("README has an Architecture section").isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Set<String> listed = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^- `([a-z.]+)`: ").matcher(section);
        while (m.find()) {
            listed.add(m.group(1));
        }
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> dirs = Files.walk(ROOT)) {
            dirs.filter(Files::isDirectory)
                    .filter(d -> !d.equals(ROOT))
                    .filter(ArchitectureTest::hasJava)
                    .forEach(d -> packages.add(ROOT.relativize(d).toString().replace('/', '.')));
        }
        assertThat(listed)
                .as("one line per package in README's architecture section")
                .isEqualTo(packages);
    }

    private static boolean hasJava(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> f.toString().endsWith(".java"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
