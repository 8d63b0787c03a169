package dev.faultline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/**
 * What {@code --version} prints for every command: the project version from the pom, which Maven writes into
 * {@code dev/faultline/cli/version.properties} when it copies the resources.
 */
public final class Version implements CommandLine.IVersionProvider {

    private static final String NUMBER = load();

    /** The project version, or {@code unknown} when the resource was not filtered (e.g. run from an IDE's copy). */
    public static String number() {
        return NUMBER;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"faultline " + NUMBER};
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "").strip();
            return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
