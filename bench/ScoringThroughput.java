import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Scoring-path throughput of a running Faultline (benchmark, not a test): produces N valid events that need only
 * scoring (numeric, normalized, choice, regex; a mix of verdicts) to eval.outputs and measures the time from the
 * first send until faultline_events_total for this run's benchmark label reaches N.
 * Usage: java -cp "target/quarkus-app/lib/main/*" bench/ScoringThroughput.java BOOTSTRAP METRICS_URL N RUNS
 */
public class ScoringThroughput {

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String metricsUrl = args[1];
        int n = Integer.parseInt(args[2]);
        int runs = Integer.parseInt(args[3]);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        HttpClient http = HttpClient.newHttpClient();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            System.out.println("warm-up: " + run(producer, http, metricsUrl, Math.min(n, 50_000), "warmup") + " events/s");
            double[] rates = new double[runs];
            for (int r = 0; r < runs; r++) {
                rates[r] = run(producer, http, metricsUrl, n, "run" + r);
                System.out.printf("run %d: %d events in %.0f events/s%n", r + 1, n, rates[r]);
            }
            double[] sorted = rates.clone();
            Arrays.sort(sorted);
            System.out.printf("median of %d runs: %.0f events/s (N=%d)%n", runs, sorted[runs / 2], n);
        }
    }

    static double run(KafkaProducer<String, byte[]> producer, HttpClient http, String metricsUrl, int n, String tag)
            throws Exception {
        String benchmark = "bench-" + tag + "-" + System.currentTimeMillis();
        List<byte[]> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(event(benchmark, i).getBytes(StandardCharsets.UTF_8));
        }
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>("eval.outputs", "run-" + (i % 16), events.get(i)));
        }
        producer.flush();
        long produced = System.nanoTime();
        HttpRequest req = HttpRequest.newBuilder(URI.create(metricsUrl)).header("Accept", "text/plain").build();
        long deadline = start + 600_000_000_000L;
        while (System.nanoTime() < deadline) {
            double counted = counted(http.send(req, HttpResponse.BodyHandlers.ofString()).body(), benchmark);
            if (counted >= n) {
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("  %s: produced in %.2f s, all counted after %.2f s%n", tag,
                        (produced - start) / 1e9, seconds);
                return n / seconds;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("not all events were counted within 10 minutes");
    }

    static double counted(String metrics, String benchmark) {
        String needle = "benchmark=\"" + benchmark + "\"";
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("faultline_events_total{") && line.contains(needle)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    static String event(String benchmark, int i) {
        String id = benchmark + "/" + i;
        return switch (i % 4) {
            case 0 -> body(id, benchmark, "Natalia sold 48 clips in April and half as many in May. How many in total?",
                    (i % 3 == 0 ? "She sold 48 + 24 = 71 clips." : "She sold 48 + 24 = 72 clips."),
                    "\"48 / 2 = 24\\n#### 72\"", "{\"method\": \"numeric\"}");
            case 1 -> body(id, benchmark, "What is the capital of France?", (i % 5 == 0 ? "Lyon" : "The city of Paris."),
                    "\"the city of paris\", \"Paris\"", "{\"method\": \"normalized\"}");
            case 2 -> body(id, benchmark, "Which is a mammal? (A) shark (B) whale (C) trout (D) squid",
                    (i % 7 == 0 ? "The answer is (A)." : "The answer is (B)."), "\"B\"", "{\"method\": \"choice\"}");
            default -> body(id, benchmark, "Once upon a time, there was a girl named Lucy and a boy named Ben. The ball belonged to",
                    (i % 2 == 0 ? " Lucy.\n" : " Ben.\n"), "\"Lucy\"", "{\"method\": \"regex\", \"pattern\": \"^\\\\s*([A-Za-z]+)\"}");
        };
    }

    static String body(String id, String benchmark, String prompt, String output, String refs, String scoring) {
        return "{\"schema\": \"faultline.eval-output/v1\", \"event_id\": \"" + id + "\", \"run_id\": \"bench-run\", "
                + "\"model\": {\"name\": \"bench-model\", \"revision\": \"step1000\", \"step\": 1000}, "
                + "\"benchmark\": \"" + benchmark + "\", \"example_id\": \"" + id + "\", \"prompt\": \""
                + prompt.replace("\n", "\\n") + "\", \"output\": \"" + output.replace("\n", "\\n")
                + "\", \"references\": [" + refs + "], \"scoring\": " + scoring
                + ", \"correct\": null, \"produced_at\": \"2026-11-24T12:00:00Z\"}";
    }
}
