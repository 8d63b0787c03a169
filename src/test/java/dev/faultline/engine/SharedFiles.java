package dev.faultline.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the test fixtures: {@code src/test/shared}, a copy of {@code ../shared} (system property
 * {@code faultline.shared.dir}, which the build sets; point it at {@code ../shared} to test against new data there).
 */
public final class SharedFiles {

    private SharedFiles() {}

    public static Path dir() {
        String p = System.getProperty("faultline.shared.dir", "src/test/shared");
        return Path.of(p);
    }

    /** The path under the fixtures, or a skipped test (with a message) when it does not exist. */
    public static Path require(String relative) {
        Path p = dir().resolve(relative);
        assumeTrue(
                Files.exists(p),
                "test data not found at " + p.toAbsolutePath() + " (set -Dfaultline.shared.dir); skipping");
        return p;
    }
}
