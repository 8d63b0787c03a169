package dev.faultline.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared} (system property {@code faultline.shared.dir}); tests skip when it is absent. */
public final class SharedFiles {

    private SharedFiles() {
    }

    public static Path dir() {
        String p = System.getProperty("faultline.shared.dir", "../shared");
        return Path.of(p);
    }

    /** The path under shared/, or a skipped test (with a message) when it does not exist. */
    public static Path require(String relative) {
        Path p = dir().resolve(relative);
        assumeTrue(Files.exists(p), "shared test data not found at " + p.toAbsolutePath()
                + " (set -Dfaultline.shared.dir); skipping");
        return p;
    }
}
