package dev.faultline.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every outgoing Kafka channel writes with acks=all and idempotence (the connector's own default is acks=1). */
class ProducerSettingsTest {

    @Test
    void everyOutgoingChannelUsesAcksAllAndIdempotence() throws Exception {
        Properties p = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/application.properties")) {
            p.load(in);
        }
        Set<String> channels = new TreeSet<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith("mp.messaging.outgoing.") && name.endsWith(".connector")) {
                channels.add(name.substring(0, name.length() - ".connector".length()));
            }
        }
        assertThat(channels).hasSizeGreaterThanOrEqualTo(6);
        for (String channel : channels) {
            assertThat(p.getProperty(channel + ".acks")).as(channel).isEqualTo("all");
            assertThat(p.getProperty(channel + ".enable.idempotence"))
                    .as(channel)
                    .isEqualTo("true");
        }
    }
}
