package dev.faultline.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionResult;
import dev.faultline.engine.DType;
import dev.faultline.engine.Device;
import dev.faultline.pipeline.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revision ordering, on-disk revision discovery and regression detection (plain JUnit). */
class RevisionOrderTest {

    @Test
    void nameNumbersAreTheLastRunOfDigits() {
        assertThat(Revision.nameNumber("step1000")).isEqualTo(1000L);
        assertThat(Revision.nameNumber("step_0500")).isEqualTo(500L);
        assertThat(Revision.nameNumber("olmo3-sft-checkpoint-200")).isEqualTo(200L);
        assertThat(Revision.nameNumber("main")).isNull();
        assertThat(Revision.orderStep("main", 7L)).isEqualTo(7L);
        assertThat(Revision.orderStep("step0050", 3L))
                .as("model.step wins over the name")
                .isEqualTo(3L);
    }

    @Test
    void stepThenNameNumberThenFirstAppearanceOrdersRevisions() {
        List<Revision> revs = new ArrayList<>(List.of(
                new Revision("step0200", null, 1, 200), new Revision("main", null, 0, -1 + 1e-6),
                new Revision("late", null, 3, 200 + 1e-6), new Revision("step0050", null, 2, 50)));
        revs.sort(Revision.ORDER);
        assertThat(revs).extracting(Revision::name).containsExactly("main", "step0050", "step0200", "late");
    }

    @Test
    void registryDiscoversRevisionFoldersWithAConfig(@TempDir Path dir) throws Exception {
        Path base = Files.createDirectories(dir.resolve("m"));
        Files.writeString(base.resolve("config.json"), "{}");
        Files.createDirectories(base.resolve("step0100"));
        Files.writeString(base.resolve("step0100/config.json"), "{}");
        Files.createDirectories(base.resolve("notes"));
        ModelRegistry registry = new ModelRegistry(
                dir,
                (p, d, dev) -> {
                    throw new UnsupportedOperationException();
                },
                DType.FLOAT32,
                Device.CPU,
                1,
                1L << 30,
                Duration.ofSeconds(1),
                Clock.systemUTC());
        assertThat(registry.revisions("m")).containsExactly("main", "step0100");
        assertThat(registry.revisions("absent")).isEmpty();
        assertThat(registry.revisions("../m")).isEmpty();
    }

    @Test
    void sharedCheckpointsAreDiscovered() {
        Path models = Path.of(System.getProperty("faultline.shared.dir", "src/test/shared"), "models");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isDirectory(models.resolve("tinystories-260k")),
                "shared models not found at " + models.toAbsolutePath() + "; skipping");
        ModelRegistry registry = new ModelRegistry(
                models,
                (p, d, dev) -> null,
                DType.FLOAT32,
                Device.CPU,
                1,
                1L << 30,
                Duration.ofSeconds(1),
                Clock.systemUTC());
        assertThat(registry.revisions("tinystories-260k"))
                .containsExactlyInAnyOrder("main", "step0050", "step0100", "step0200", "step0380");
    }

    @Test
    void aFailureFixedThenWrongAgainIsARegression() {
        Trajectory t = new Trajectory(
                "m",
                "b",
                "e",
                "x",
                "main",
                " a",
                " b",
                List.of(
                        point("main", 2.0),
                        point("s1", -0.5),
                        point("s2", 0.3),
                        point("s3", 0.4),
                        point("s4", -1),
                        point("s5", 0.1)));
        List<Regression> regs = TrajectoryStats.regressions(t);
        assertThat(regs).extracting(Regression::fixedAt).containsExactly("s1", "s4");
        assertThat(regs).extracting(Regression::wrongAgainAt).containsExactly("s2", "s5");
        Trajectory steady = new Trajectory(
                "m",
                "b",
                "e",
                "x",
                "main",
                " a",
                " b",
                List.of(point("main", 2.0), point("s1", 1.5), point("s2", 0.0), point("s3", -0.1)));
        assertThat(TrajectoryStats.regressions(steady)).isEmpty();
    }

    @Test
    void aggregatesGiveMeanMedianShareFixedAndSegmentMeans() {
        Revision r = new Revision("s1", 1L, 1, 1);
        Trajectory a = new Trajectory("m", "b", "a", "a", "main", "w", "c", List.of(point("s1", -1.0)));
        Trajectory b = new Trajectory("m", "b", "b", "b", "main", "w", "c", List.of(point("s1", 3.0)));
        Trajectory c = new Trajectory("m", "b", "c", "c", "main", "w", "c", List.of(point("s1", 0.0)));
        RevisionAggregate agg =
                TrajectoryStats.aggregates(List.of(r), List.of(a, b, c)).get(0);
        assertThat(agg.meanLogitDiff()).isEqualTo(2.0 / 3);
        assertThat(agg.medianLogitDiff()).isEqualTo(0.0);
        assertThat(agg.fixed()).isEqualTo(2);
        assertThat(agg.segments()).singleElement().satisfies(s -> {
            assertThat(s.meanRelevance()).isEqualTo(2.0 / 3);
            assertThat(s.meanNormalized()).isEqualTo(1.0 / 3);
        });
    }

    static TrajectoryPoint point(String rev, double d) {
        return new TrajectoryPoint(
                rev,
                null,
                d,
                List.of(new AttributionResult.SegmentRelevance("query", d, null, null, 1, d / 2)),
                List.of(),
                null,
                null);
    }
}
