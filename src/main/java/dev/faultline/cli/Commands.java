package dev.faultline.cli;

import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;
import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Runs the {@code faultline} command line ({@link FaultlineCommand}) on picocli. Every command parses with the same
 * rules and converters and ends with the same exit codes: {@link #OK}, {@link #FAILED} (some items failed; each
 * command's help says which), {@link #USAGE} (unknown option, missing or malformed value, bad combination).
 */
public final class Commands {

    /** The command did everything it was asked to. */
    public static final int OK = 0;
    /** Some items failed (bad input lines, refused events, drift left, an attribution that threw). */
    public static final int FAILED = 1;
    /** Usage error: the arguments were wrong; nothing was done. */
    public static final int USAGE = 2;

    /** The exit-code lines of the usage help that every command shares. */
    public static final String EXIT_OK = "0:ok";

    public static final String EXIT_USAGE = "2:usage error (unknown option, missing or malformed value)";

    private Commands() {}

    /** Runs the command line as the jar does, on the process's streams; returns the exit code. */
    public static int run(String... args) {
        return run(Terminal.system(), args);
    }

    /** Runs the command line as the jar does, writing to {@code terminal}; returns the exit code. */
    public static int run(Terminal terminal, String... args) {
        return execute(FaultlineCommand.class, terminal, args);
    }

    /**
     * Runs one command (with its sub-commands) under the parsing rules and exit codes of the whole command line, e.g.
     * {@code execute(ReplayCommand.class, terminal, "events.jsonl", "--dry-run")}.
     */
    public static int execute(Class<?> command, Terminal terminal, String... args) {
        return commandLine(command, terminal).execute(args);
    }

    /** The picocli command line for {@code command} and its sub-commands, writing to {@code terminal}. */
    public static CommandLine commandLine(Class<?> command, Terminal terminal) {
        CommandLine cli = new CommandLine(command, new Factory(terminal));
        // the engine's own parsers, which also take the spellings batch requests and the service accept (fp64, gxi)
        cli.registerConverter(Method.class, parser(Method::parse));
        cli.registerConverter(SoftmaxRule.class, parser(SoftmaxRule::parse));
        cli.registerConverter(DType.class, parser(DType::parse));
        cli.registerConverter(Device.class, parser(Device::parse));
        cli.setOut(new PrintWriter(terminal.out(), true));
        cli.setErr(new PrintWriter(terminal.err(), true));
        cli.setOverwrittenOptionsAllowed(true); // an option given twice: the last value wins
        cli.setParameterExceptionHandler(Commands::reportUsageError);
        setExitCodes(cli);
        return cli;
    }

    /** A converter from a parser that rejects a value with an {@link IllegalArgumentException} naming the choices. */
    public static <T> CommandLine.ITypeConverter<T> parser(Function<String, T> parse) {
        return value -> {
            try {
                return parse.apply(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        };
    }

    /** A usage error: the message, picocli's suggestions for a misspelt option, the synopsis and where help is. */
    private static int reportUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String message = e.getMessage();
        if (e instanceof CommandLine.UnmatchedArgumentException u
                && !cmd.getSubcommands().isEmpty()
                && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            message = "Unknown command: '" + u.getUnmatched().get(0) + "' (commands: "
                    + String.join(", ", cmd.getSubcommands().keySet()) + ")";
        }
        err.println(cmd.getColorScheme().errorText(message));
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.print(cmd.getHelp().synopsis(0));
        err.printf(
                "Try '%s --help' for more information.%n", cmd.getCommandSpec().qualifiedName());
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static void setExitCodes(CommandLine cli) {
        cli.getCommandSpec().exitCodeOnInvalidInput(USAGE);
        cli.getCommandSpec().exitCodeOnExecutionException(FAILED);
        cli.getSubcommands().values().forEach(Commands::setExitCodes);
    }

    /**
     * A usage error for a command to throw from its {@code call()}: picocli reports it like a parse error (message,
     * usage, exit code {@link #USAGE}). For checks that need more than one option, or the file system.
     */
    public static CommandLine.ParameterException usageError(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** Creates commands, handing this run's {@link Terminal} to those whose constructor takes one. */
    private record Factory(Terminal terminal) implements CommandLine.IFactory {

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                return cls.getConstructor(Terminal.class).newInstance(terminal);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
