package dev.faultline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommandsTest {

    @Test
    void unknownCommandExitsWithUsageError() {
        assertThat(Commands.run("no-such-command")).isEqualTo(2);
    }

    @Test
    void helpExitsZero() {
        assertThat(Commands.run("help")).isZero();
    }
}
