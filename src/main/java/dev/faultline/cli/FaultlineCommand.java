package dev.faultline.cli;

import dev.faultline.demo.TrainDemoCommand;
import dev.faultline.replay.ReplayCommand;
import dev.faultline.topics.TopicsCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level {@code faultline} command: without a sub-command it starts the service, like {@code serve}. */
@Command(
        name = "faultline",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = {
            "Explains wrong answers of language-model evaluation runs as they stream through Kafka.",
            "Without a command: runs the service (as 'serve'). The other commands run on their own and start no "
                    + "Kafka consumers, Redis or HTTP server."
        },
        subcommands = {
            AttributeCommand.class,
            ReplayCommand.class,
            TopicsCommand.class,
            TrainDemoCommand.class,
            ServeCommand.class,
            HelpCommand.class
        },
        synopsisSubcommandLabel = "[COMMAND]",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {Commands.EXIT_OK, "1:some items failed (see the command's help)", Commands.EXIT_USAGE})
public final class FaultlineCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return ServeCommand.serve(spec);
    }
}
