package dev.faultline.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs after {@code package} (failsafe): every path the Dockerfiles COPY from the build context exists in the
 * Quarkus fast-jar layout, the images run as non-root, and DJL is prepared offline. No hadolint in the registries here.
 */
class DockerfilesIT {

    /** COPY instructions (line continuations joined) that read from the build context, not from another stage. */
    static List<List<String>> contextCopies(Path dockerfile) throws IOException {
        String text = Files.readString(dockerfile).replaceAll("\\\\\\n", " ");
        List<List<String>> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.trim();
            if (!l.toUpperCase().startsWith("COPY ") || l.contains("--from=")) {
                continue;
            }
            List<String> args = new ArrayList<>(List.of(l.substring(5).trim().split("\\s+")));
            args.removeIf(a -> a.startsWith("--"));
            out.add(args.subList(0, args.size() - 1)); // sources; the last one is the destination
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.jvm", "docker/Dockerfile.cuda"})
    void everyCopiedPathExistsAfterPackage(String dockerfile) throws IOException {
        assertThat(Path.of("target/quarkus-app/quarkus-run.jar"))
                .as("run after `package`")
                .exists();
        List<List<String>> copies = contextCopies(Path.of(dockerfile));
        assertThat(copies).hasSizeGreaterThanOrEqualTo(6);
        for (List<String> sources : copies) {
            for (String source : sources) {
                assertThat(matches(source))
                        .as(dockerfile + ": COPY " + source + " matches nothing")
                        .isPositive();
            }
        }
        assertThat(copies.stream().flatMap(List::stream))
                .contains(
                        "target/quarkus-app/lib/",
                        "target/quarkus-app/*.jar",
                        "target/quarkus-app/app/",
                        "target/quarkus-app/quarkus/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.jvm", "docker/Dockerfile.cuda", "docker/docker-compose.yml"})
    void imagesAreBuiltWithoutTheEmbeddedStack(String file) throws IOException {
        // the package command each file documents uses the prod profile, which leaves the embedded Kafka broker,
        // Scala and embedded-redis out of target/quarkus-app
        List<String> builds = Files.readString(Path.of(file))
                .lines()
                .filter(l -> l.contains("mvnw") && l.contains(" package"))
                .toList();
        assertThat(builds).isNotEmpty().allMatch(l -> l.contains("-Pprod"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.jvm", "docker/Dockerfile.cuda"})
    void imageRunsAsNonRootWithDjlOffline(String dockerfile) throws IOException {
        String text = Files.readString(Path.of(dockerfile));
        List<String> users = text.lines()
                .map(String::trim)
                .filter(l -> l.startsWith("USER "))
                .toList();
        assertThat(users).isNotEmpty();
        assertThat(users.get(users.size() - 1)).as("last USER").isEqualTo("USER 185");
        assertThat(text).contains("DJL_CACHE_DIR=/opt/djl-cache").contains("-Dai.djl.offline=true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile.jvm", "docker/Dockerfile.cuda"})
    void dockerignoreLetsTheCopiedPathsThrough(String dockerfile) throws IOException {
        List<String> allowed = Files.readAllLines(Path.of(".dockerignore")).stream()
                .filter(l -> l.startsWith("!"))
                .map(l -> l.substring(1))
                .toList();
        for (List<String> sources : contextCopies(Path.of(dockerfile))) {
            for (String source : sources) {
                assertThat(allowed).as(source + " is excluded by .dockerignore").anyMatch(source::startsWith);
            }
        }
    }

    private static long matches(String source) throws IOException {
        String pattern = source.endsWith("/") ? source.substring(0, source.length() - 1) : source;
        if (!pattern.contains("*")) {
            return Files.exists(Path.of(pattern)) ? 1 : 0;
        }
        Path dir = Path.of(pattern).getParent();
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(m::matches).count();
        }
    }
}
