package dev.faultline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command's {@code --help}, {@code --version} and usage errors, run through {@link Commands#run(Terminal,
 * String...)} as the jar runs them (plain Java, no Quarkus).
 */
class CommandLineUsageTest {

    @TempDir
    Path tmp;

    private record Result(int code, String out, String err) {}

    private static Result run(List<String> command, String... more) {
        List<String> args = new ArrayList<>(command);
        args.addAll(List.of(more));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Commands.run(
                new Terminal(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        false),
                args.toArray(String[]::new));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Each command, as typed after {@code faultline}, with what its usage must name. */
    static Stream<Arguments> commands() {
        return Stream.of(
                arguments(List.of(), List.of("attribute", "replay", "topics", "train-demo", "serve", "help")),
                arguments(
                        List.of("attribute"),
                        List.of(
                                "--model",
                                "--ids",
                                "--text",
                                "--position",
                                "--wrong",
                                "--correct",
                                "--method",
                                "--softmax",
                                "--dtype",
                                "--device",
                                "--k",
                                "--seed",
                                "--margin",
                                "--top",
                                "--graph",
                                "--node-threshold",
                                "--edge-mass",
                                "--input",
                                "--output")),
                arguments(
                        List.of("replay"),
                        List.of(
                                "FILE",
                                "--bootstrap",
                                "--url",
                                "--dry-run",
                                "--format",
                                "--model",
                                "--revision",
                                "--run-id",
                                "--task",
                                "--rate",
                                "--topic")),
                arguments(List.of("topics"), List.of("apply", "strimzi")),
                arguments(
                        List.of("topics", "apply"),
                        List.of(
                                "--bootstrap",
                                "--bootstrap-server",
                                "--file",
                                "--dry-run",
                                "--max-replicas",
                                "--command-config")),
                arguments(List.of("topics", "strimzi"), List.of("--file", "--cluster", "--max-replicas")),
                arguments(
                        List.of("train-demo"),
                        List.of(
                                "--output",
                                "--seed",
                                "--steps",
                                "--batch",
                                "--lr",
                                "--warmup",
                                "--min-digits",
                                "--max-digits",
                                "--eval",
                                "--log-every",
                                "--threads",
                                "--hidden",
                                "--layers",
                                "--heads",
                                "--kv-heads",
                                "--ffn")),
                arguments(List.of("serve"), List.of()));
    }

    @ParameterizedTest(name = "faultline {0} --help")
    @MethodSource("commands")
    void helpExitsZeroWithUsageNamingEveryOption(List<String> command, List<String> names) {
        Result r = run(command, "--help");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out())
                .startsWith("Usage: " + String.join(" ", qualified(command)))
                .contains("--help", "--version", "Exit codes:");
        names.forEach(name -> assertThat(r.out()).contains(name));
        for (OptionSpec option : spec(command).options()) {
            if (!option.hidden()) {
                assertThat(r.out())
                        .as("usage of %s names %s", command, option.longestName())
                        .contains(option.longestName());
            }
        }
    }

    @ParameterizedTest(name = "faultline {0} --version")
    @MethodSource("commands")
    void versionExitsZeroWithTheProjectVersion(List<String> command) {
        Result r = run(command, "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("faultline " + Version.number());
    }

    @ParameterizedTest(name = "faultline {0} --no-such-option")
    @MethodSource("commands")
    void unknownOptionIsAUsageError(List<String> command) throws Exception {
        List<String> args = new ArrayList<>();
        if (command.equals(List.of("replay"))) { // otherwise the missing FILE is reported first
            args.add(Files.writeString(tmp.resolve("empty.jsonl"), "").toString());
            args.add("--dry-run");
        }
        args.add("--no-such-option");
        Result r = run(command, args.toArray(String[]::new));
        assertThat(r.code()).isEqualTo(Commands.USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .contains("Unknown option: '--no-such-option'")
                .contains("Try '" + String.join(" ", qualified(command)) + " --help'");
    }

    @Test
    void everyCommandInTheTreeIsCovered() {
        Set<String> tree = new TreeSet<>();
        collect(Commands.commandLine(FaultlineCommand.class, Terminal.system()), tree);
        Set<String> covered = new TreeSet<>();
        commands().forEach(a -> covered.add(String.join(" ", qualified(castList(a.get()[0])))));
        covered.add("faultline help");
        assertThat(tree).isEqualTo(covered);
    }

    @Test
    void theVersionComesFromThePom() {
        assertThat(Version.number()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void helpCommandPrintsACommandsUsage() {
        Result r = run(List.of("help", "replay"));
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: faultline replay").contains("--bootstrap");
    }

    @Test
    void unknownCommandAndMalformedValuesAreUsageErrors() {
        Result unknown = run(List.of("no-such-command"));
        assertThat(unknown.code()).isEqualTo(Commands.USAGE);
        assertThat(unknown.err()).contains("Unknown command: 'no-such-command'", "attribute", "replay");
        Result notANumber = run(List.of("attribute"), "--k", "many");
        assertThat(notANumber.code()).isEqualTo(Commands.USAGE);
        assertThat(notANumber.err()).contains("Invalid value for option '--k'");
        Result badEnum = run(List.of("attribute"), "--dtype", "float8");
        assertThat(badEnum.code()).isEqualTo(Commands.USAGE);
        assertThat(badEnum.err()).contains("dtype must be float32, float64 or float16");
        Result bf16 = run(List.of("attribute"), "--dtype", "bfloat16");
        assertThat(bf16.code()).isEqualTo(Commands.USAGE);
        assertThat(bf16.err()).contains("bfloat16 compute is not available");
        Result noSubcommand = run(List.of("topics"));
        assertThat(noSubcommand.code()).isEqualTo(Commands.USAGE);
        assertThat(noSubcommand.err()).contains("apply or strimzi");
    }

    @Test
    void engineSpellingsAreAccepted() {
        // the engine's parsers take aliases (fp64, gxi, cp); a missing model is reported after parsing succeeded
        Result r = run(
                List.of("attribute"),
                "--ids",
                "1, 2,3",
                "--wrong",
                "4",
                "--dtype",
                "fp64",
                "--method",
                "gxi",
                "--softmax",
                "cp",
                "--device",
                "CUDA",
                "--position",
                "-2");
        assertThat(r.code()).isEqualTo(Commands.USAGE);
        assertThat(r.err()).contains("model is required");
    }

    @Test
    void trainDemoTakesOutputAndItsOlderNameOut() {
        Result missing = run(List.of("train-demo"), "--steps", "10");
        assertThat(missing.code()).isEqualTo(Commands.USAGE);
        assertThat(missing.err()).contains("--output DIR is required");
        for (String name : List.of("--output", "--out")) {
            Result r = run(List.of("train-demo"), name, tmp.resolve("model").toString(), "--steps", "0");
            assertThat(r.code()).isEqualTo(Commands.USAGE);
            assertThat(r.err()).as(name).contains("--steps, --batch and --eval must be positive");
        }
        assertThat(Files.exists(tmp.resolve("model"))).isFalse();
    }

    @Test
    void commandsRunWithoutStartingTheService() throws Exception {
        Path events = Files.writeString(
                tmp.resolve("events.jsonl"),
                "{\"event_id\":\"e\",\"run_id\":\"r\","
                        + "\"model\":{\"name\":\"m\"},\"prompt\":\"p\",\"output\":\"o\"}\n");
        Result replay = run(List.of("replay"), events.toString(), "--dry-run");
        assertThat(replay.code()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("\"event_id\":\"e\"");
        Result strimzi = run(List.of("topics", "strimzi"));
        assertThat(strimzi.code()).as(strimzi.err()).isZero();
        assertThat(strimzi.out()).contains("kind: KafkaTopic");
        assertThat(FaultlineMain.served()).isFalse();
    }

    private static List<String> qualified(List<String> command) {
        List<String> q = new ArrayList<>();
        q.add("faultline");
        q.addAll(command);
        return q;
    }

    private static CommandLine.Model.CommandSpec spec(List<String> command) {
        CommandLine cli = Commands.commandLine(FaultlineCommand.class, Terminal.system());
        for (String name : command) {
            cli = cli.getSubcommands().get(name);
        }
        return cli.getCommandSpec();
    }

    private static void collect(CommandLine cli, Set<String> names) {
        names.add(cli.getCommandSpec().qualifiedName());
        cli.getSubcommands().values().forEach(c -> collect(c, names));
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object o) {
        return (List<String>) o;
    }
}
