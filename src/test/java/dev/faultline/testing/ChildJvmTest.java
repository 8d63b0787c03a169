package dev.faultline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs running {@link Child}: what reaches them, the waits, their failure messages and the stops. */
class ChildJvmTest {

    @TempDir
    Path tmp;

    /**
     * The child: {@code print <text>} prints to stdout and stderr and waits; {@code serve <port>} prints, then
     * answers 200 on {@code /ready} of the port; {@code exit <code>} prints and exits; {@code env} prints its
     * settings and exits 0.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            switch (args[0]) {
                case "print" -> {
                    System.out.println("out " + args[1]);
                    System.err.println("err " + args[1]);
                }
                case "serve" -> {
                    System.out.println("listening soon");
                    HttpServer server = HttpServer.create(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[1])), 0);
                    server.createContext("/ready", e -> {
                        e.sendResponseHeaders(200, -1);
                        e.close();
                    });
                    server.start();
                    System.out.println("serving");
                }
                case "exit" -> {
                    System.out.println("bad configuration, giving up");
                    System.exit(Integer.parseInt(args[1]));
                }
                case "env" -> {
                    System.out.println("property=" + System.getProperty("child.setting"));
                    System.out.println("env=" + System.getenv("CHILD_SETTING"));
                    System.out.println("removed=" + System.getenv("PATH"));
                    System.out.println("heap-mib=" + Runtime.getRuntime().maxMemory() / (1 << 20));
                    System.out.println("dir=" + Path.of("").toAbsolutePath());
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
            Thread.currentThread().join();
        }
    }

    @Test
    void propertiesEnvironmentHeapAndDirectoryReachTheChild() throws Exception {
        try (ChildJvm jvm = ChildJvm.main(Child.class, "env")
                .heap("64m")
                .property("child.setting", "from-property")
                .env("CHILD_SETTING", "from-env")
                .withoutEnv("PATH")
                .directory(tmp)
                .log(tmp.resolve("env.log"))
                .start()) {
            assertThat(jvm.waitFor(Duration.ofSeconds(60))).as(jvm.describe()).isTrue();
            assertThat(jvm.exitValue()).isZero();
            assertThat(jvm.output())
                    .contains("property=from-property", "env=from-env", "removed=null", "dir=" + tmp.toRealPath())
                    .containsPattern("heap-mib=(5[0-9]|6[0-4])\\b");
        }
    }

    @Test
    void waitsForALogLineFromStdoutOrStderrAndForAnHttpUrlThenKills() throws Exception {
        int port = ChildJvm.freePort();
        try (ChildJvm jvm = ChildJvm.main(Child.class, "serve", Integer.toString(port))
                .log(tmp.resolve("serve.log"))
                .start()) {
            jvm.awaitLogLine("listening soon", Duration.ofSeconds(60));
            jvm.awaitHttp("http://127.0.0.1:" + port + "/ready", Duration.ofSeconds(60));
            assertThat(jvm.answers("http://127.0.0.1:" + port + "/ready")).isTrue();
            jvm.awaitPort(port, Duration.ofSeconds(10));
            assertThat(jvm.pid()).isEqualTo(jvm.process().pid());
            jvm.kill();
            assertThat(jvm.isAlive()).isFalse();
            assertThat(jvm.exitValue()).as("SIGKILL").isEqualTo(137);
            assertThat(jvm.answers("http://127.0.0.1:" + port + "/ready")).isFalse();
        }
        try (ChildJvm jvm = ChildJvm.main(Child.class, "print", "both")
                .log(tmp.resolve("print.log"))
                .start()) {
            jvm.awaitLogLine("err both", Duration.ofSeconds(60));
            assertThat(jvm.output()).contains("out both");
        }
    }

    @Test
    void aChildThatExitsFailsTheWaitWithItsExitCodeAndLog() throws IOException {
        try (ChildJvm jvm = ChildJvm.main(Child.class, "exit", "3")
                .log(tmp.resolve("exit.log"))
                .start()) {
            assertThatThrownBy(() -> jvm.awaitLogLine("never printed", Duration.ofSeconds(60)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("exited before a log line with 'never printed'")
                    .hasMessageContaining("(exited 3)")
                    .hasMessageContaining("bad configuration, giving up");
        }
    }

    @Test
    void aWaitThatTimesOutNamesWhatItWaitedForWithTheLogTail() throws IOException {
        try (ChildJvm jvm = ChildJvm.main(Child.class, "print", "quiet")
                .log(tmp.resolve("quiet.log"))
                .start()) {
            assertThatThrownBy(() -> jvm.awaitLogLine("never printed", Duration.ofSeconds(2)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("timed out after PT2S")
                    .hasMessageContaining("(alive)")
                    .hasMessageContaining("quiet.log");
            assertThat(jvm.isAlive()).isTrue();
            jvm.close();
            assertThat(jvm.isAlive()).as("closed: stopped").isFalse();
        }
    }

    @Test
    void aRestartWithTheSameLogSeesOnlyItsOwnOutputWhileTheTailHasBoth() throws Exception {
        Path log = tmp.resolve("shared.log");
        try (ChildJvm first =
                ChildJvm.main(Child.class, "print", "first").log(log).start()) {
            first.awaitLogLine("err first", Duration.ofSeconds(60));
            first.awaitLogLine("out first", Duration.ofSeconds(60));
        }
        try (ChildJvm second =
                ChildJvm.main(Child.class, "print", "second").log(log).start()) {
            assertThatThrownBy(() -> second.awaitLogLine("first", Duration.ofSeconds(2)))
                    .hasMessageContaining("timed out");
            second.awaitLogLine("err second", Duration.ofSeconds(60));
            second.awaitLogLine("out second", Duration.ofSeconds(60));
            assertThat(second.output()).doesNotContain("first");
            assertThat(second.tail()).contains("out first", "out second");
        }
    }
}
