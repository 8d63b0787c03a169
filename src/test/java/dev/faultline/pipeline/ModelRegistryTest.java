package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.ModelConfig;
import dev.faultline.engine.ModelLoadException;
import dev.faultline.engine.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directory layout, LRU bounds and load-failure back-off of the model registry, with a counting fake loader. */
class ModelRegistryTest {

    @TempDir
    Path root;

    final List<String> closed = new ArrayList<>();
    final AtomicInteger loads = new AtomicInteger();

    final class FakeModel implements LanguageModel {
        final Path dir;
        final long bytes;

        FakeModel(Path dir, long bytes) {
            this.dir = dir;
            this.bytes = bytes;
        }

        public Path directory() {
            return dir;
        }

        public ModelConfig config() {
            return null;
        }

        public TextTokenizer tokenizer() {
            return null;
        }

        public DType dtype() {
            return DType.FLOAT32;
        }

        public String device() {
            return "cpu";
        }

        public long weightBytes() {
            return bytes;
        }

        public void close() {
            closed.add(root.relativize(dir).toString());
        }
    }

    void checkpoint(String rel) throws IOException {
        Files.createDirectories(root.resolve(rel));
        Files.writeString(root.resolve(rel).resolve("config.json"), "{}");
    }

    /** The model for a job that leases it and is done with it at once. */
    static LanguageModel use(ModelRegistry reg, String name, String revision) {
        try (ModelRegistry.Lease lease = reg.lease(name, revision)) {
            return lease.model();
        }
    }

    ModelRegistry registry(int maxLoaded, long maxBytes, Clock clock) {
        return new ModelRegistry(
                root,
                (dir, dtype, device) -> {
                    loads.incrementAndGet();
                    if (Files.exists(dir.resolve("broken"))) {
                        throw new ModelLoadException("missing tensor model.norm.weight");
                    }
                    return new FakeModel(dir, 100);
                },
                DType.FLOAT32,
                Device.CPU,
                maxLoaded,
                maxBytes,
                Duration.ofSeconds(60),
                clock);
    }

    @Test
    void mainIsTheModelFolderItselfAndOtherRevisionsAreSubfolders() throws IOException {
        checkpoint("m");
        checkpoint("m/step100");
        checkpoint("n/main");
        ModelRegistry reg = registry(5, 10_000, Clock.systemUTC());
        assertThat(use(reg, "m", null).directory()).isEqualTo(root.resolve("m"));
        assertThat(use(reg, "m", "main").directory()).isEqualTo(root.resolve("m"));
        assertThat(use(reg, "m", "step100").directory()).isEqualTo(root.resolve("m/step100"));
        assertThat(use(reg, "n", "main").directory()).isEqualTo(root.resolve("n/main"));
        assertThat(loads).hasValue(3);
    }

    @Test
    void anEvictedModelStaysOpenUntilItsLastLeaseCloses() throws IOException {
        checkpoint("a");
        checkpoint("b");
        checkpoint("c");
        ModelRegistry reg = registry(1, 10_000, Clock.systemUTC());
        ModelRegistry.Lease first = reg.lease("a", null);
        ModelRegistry.Lease second = reg.lease("a", null);
        assertThat(second.model()).isSameAs(first.model());
        use(reg, "b", null); // evicts a while two jobs still hold it
        assertThat(reg.loadedKeys()).containsExactly("b@main");
        assertThat(closed).isEmpty();
        assertThat(reg.retiredCount()).isEqualTo(1);
        first.close();
        first.close(); // closing twice counts once
        assertThat(closed).isEmpty();
        second.close();
        assertThat(closed).containsExactly("a");
        assertThat(reg.retiredCount()).isZero();

        try (ModelRegistry.Lease b = reg.lease("b", null)) { // a lease on a model that stays loaded closes nothing
            assertThat(b.model().directory()).isEqualTo(root.resolve("b"));
        }
        assertThat(closed).containsExactly("a");
        use(reg, "c", null); // b, no longer leased, is closed at once
        assertThat(closed).containsExactly("a", "b");
    }

    @Test
    void leastRecentlyUsedModelIsClosedBeyondTheCountOrByteBound() throws IOException {
        checkpoint("a");
        checkpoint("b");
        checkpoint("c");
        ModelRegistry reg = registry(2, 10_000, Clock.systemUTC());
        use(reg, "a", null);
        use(reg, "b", null);
        use(reg, "a", null); // a is now the most recent
        use(reg, "c", null);
        assertThat(closed).containsExactly("b");
        assertThat(reg.loadedKeys()).containsExactly("a@main", "c@main");

        ModelRegistry byBytes = registry(10, 250, Clock.systemUTC());
        List<String> handedOver = new ArrayList<>();
        byBytes.closeWith(
                m -> { // the service closes evicted models on the engine's worker
                    handedOver.add(root.relativize(m.directory()).toString());
                    m.close();
                });
        closed.clear();
        use(byBytes, "a", null);
        use(byBytes, "b", null);
        use(byBytes, "c", null);
        assertThat(closed).containsExactly("a");
        assertThat(handedOver).containsExactly("a");
        assertThat(byBytes.loadedBytes()).isEqualTo(200);
    }

    @Test
    void missingModelIsUnavailableWithTheReason() {
        ModelRegistry reg = registry(2, 10_000, Clock.systemUTC());
        assertThatThrownBy(() -> use(reg, "nope", "main"))
                .isInstanceOf(ModelUnavailableException.class)
                .hasMessageContaining("nope@main")
                .hasMessageContaining("config.json");
        assertThatThrownBy(() -> use(reg, "../etc", "main")).hasMessageContaining("invalid model name");
    }

    @Test
    void failedLoadIsRetriedOnlyAfterTheBackOff() throws IOException {
        checkpoint("bad");
        Files.writeString(root.resolve("bad/broken"), "");
        Instant[] now = {Instant.parse("2026-11-24T12:00:00Z")};
        Clock clock = new Clock() {
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            public Instant instant() {
                return now[0];
            }
        };
        ModelRegistry reg = registry(2, 10_000, clock);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> use(reg, "bad", null))
                    .isInstanceOf(ModelUnavailableException.class)
                    .hasMessageContaining("missing tensor model.norm.weight");
        }
        assertThat(loads).hasValue(1);
        Files.delete(root.resolve("bad/broken"));
        now[0] = now[0].plusSeconds(61);
        assertThat(use(reg, "bad", null)).isNotNull();
        assertThat(loads).hasValue(2);
    }

    @Test
    void olderModelsAreClosedBeforeALoadThatWouldPassTheBudget() throws IOException {
        checkpoint("a");
        checkpoint("b");
        checkpoint("c");
        List<String> loadedWhenLoading = new ArrayList<>();
        ModelRegistry[] self = new ModelRegistry[1];
        self[0] = new ModelRegistry(
                root,
                new ModelRegistry.Loader() {
                    @Override
                    public LanguageModel load(Path dir, DType dtype, Device device) {
                        loadedWhenLoading.add(dir.getFileName() + ":" + self[0].loadedKeys());
                        return new FakeModel(dir, 100);
                    }

                    @Override
                    public long weightBytes(Path dir, DType dtype) {
                        return 100;
                    }
                },
                DType.FLOAT32,
                Device.CPU,
                10,
                250,
                Duration.ofSeconds(60),
                Clock.systemUTC());
        use(self[0], "a", null);
        use(self[0], "b", null);
        use(self[0], "c", null); // 300 > 250: a is closed before c is read, not after
        assertThat(closed).containsExactly("a");
        assertThat(loadedWhenLoading).containsExactly("a:[]", "b:[a@main]", "c:[b@main]");
    }

    @Test
    void perModelSettingsOverrideTheDefaults() throws IOException {
        checkpoint("big");
        checkpoint("small");
        List<String> calls = new ArrayList<>();
        ModelRegistry reg = new ModelRegistry(
                List.of(root),
                (dir, dtype, device) -> {
                    calls.add(dir.getFileName() + ":" + dtype.label() + "@" + device.label());
                    return new FakeModel(dir, 1);
                },
                DType.FLOAT32,
                Device.CPU,
                name -> name.equals("big") ? new ModelRegistry.Settings(DType.FLOAT16, Device.GPU) : null,
                4,
                1000,
                Duration.ofSeconds(60),
                Clock.systemUTC());
        use(reg, "big", null);
        use(reg, "small", null);
        assertThat(calls).containsExactly("big:float16@gpu", "small:float32@cpu");
        assertThat(reg.settings("small")).isEqualTo(new ModelRegistry.Settings(DType.FLOAT32, Device.CPU));
    }
}
