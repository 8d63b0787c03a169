package dev.faultline.faults;

import dev.faultline.testing.ChildJvm;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A single-node KRaft broker in its own JVM (the Kafka server classes of the test class path), on fixed ports and a
 * fixed log directory, so it can be killed and started again as the same broker with its data. {@link #main} is the
 * child's entry point; the test side starts, kills and restarts it.
 */
public final class BrokerProcess implements AutoCloseable {

    public static final String CLUSTER_ID = "faultline-faults-0000";

    private final int port;
    private final int controllerPort;
    private final Path logDir;
    private final Path log;
    private ChildJvm jvm;

    public BrokerProcess(int port, int controllerPort, Path logDir, Path log) {
        this.port = port;
        this.controllerPort = controllerPort;
        this.logDir = logDir;
        this.log = log;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker process and returns once its port accepts connections. */
    public BrokerProcess start() throws IOException, InterruptedException {
        jvm = ChildJvm.main(
                        BrokerProcess.class,
                        Integer.toString(port),
                        Integer.toString(controllerPort),
                        logDir.toString())
                .heap("512m")
                .log(log)
                .start();
        jvm.awaitPort(port, Duration.ofSeconds(60));
        return this;
    }

    /** Kills the broker process (SIGKILL: no controlled shutdown) and waits for it to be gone. */
    public void kill() throws InterruptedException {
        if (jvm != null) {
            jvm.kill();
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int controllerPort = Integer.parseInt(args[1]);
        String dir = args[2];
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withNodeId(0)
                .withClusterId(CLUSTER_ID)
                .withKafkaHost("127.0.0.1")
                .withKafkaPort(port)
                .withControllerPort(controllerPort)
                .withDeleteLogDirsOnClose(false)
                .withAdditionalProperties(p -> {
                    p.put("log.dirs", dir);
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("message.max.bytes", "8388608");
                    p.put("auto.create.topics.enable", "true");
                    p.put("num.partitions", "2");
                    p.put("offsets.topic.num.partitions", "1");
                    p.put("transaction.state.log.num.partitions", "1");
                })
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        Thread.currentThread().join();
    }
}
