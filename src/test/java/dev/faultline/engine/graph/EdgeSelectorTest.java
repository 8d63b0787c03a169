package dev.faultline.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The streaming edge-mass selection against the plain one: every edge kept, sorted by |weight| (stable: ties in
 * arrival order), the shortest prefix holding the edge mass. Weights drawn with ties and zeros ("mixed") or from
 * three magnitudes only ("discrete": the threshold falls inside a block of ties), rows of causal length, enough
 * edges that the selection on mass (not a full sort) runs.
 */
class EdgeSelectorTest {

    private record Edge(int target, int source, double weight, int arrival) {}

    @ParameterizedTest(name = "seed {0}, edge-mass {1}, {2} weights")
    @CsvSource({
        "1, 0.85, mixed",
        "2, 0.5, mixed",
        "3, 0.99, mixed",
        "4, 1.0, mixed",
        "5, 0.85, mixed",
        "6, 0.85, discrete",
        "7, 0.5, discrete",
        "8, 0.97, discrete"
    })
    void keepsTheShortestPrefixOfTheStableSortLargestFirst(long seed, double edgeMass, String weights) {
        Random rnd = new Random(seed);
        int t = 700;
        long expected = (long) t * (t + 1) / 2;
        EdgeSelector selector = new EdgeSelector(edgeMass, expected);
        List<Edge> all = new ArrayList<>();
        for (int j = 0; j < t; j++) {
            double[] row = new double[j + 1];
            for (int i = 0; i <= j; i++) {
                int kind = weights.equals("discrete") ? 1 + rnd.nextInt(3) : rnd.nextInt(10);
                // zeros, a few repeated magnitudes of both signs (ties), and continuous values with a heavy tail
                row[i] = kind == 0
                        ? 0
                        : kind < 4
                                ? (rnd.nextBoolean() ? 1 : -1) * 0.25 * (1 + rnd.nextInt(3))
                                : rnd.nextGaussian() * Math.exp(2 * rnd.nextGaussian());
                all.add(new Edge(j, i, row[i], all.size()));
            }
            selector.addRow(j, row, 0, j + 1);
        }
        EdgeSelector.Selection s = selector.select();

        List<Edge> sorted = new ArrayList<>(all);
        sorted.sort(
                Comparator.comparingDouble((Edge e) -> -Math.abs(e.weight())).thenComparingInt(Edge::arrival));
        double total = all.stream().mapToDouble(e -> Math.abs(e.weight())).sum();
        double cum = 0;
        int kept = 0;
        while (kept < sorted.size() && (cum < edgeMass * total || kept == 0)) {
            cum += Math.abs(sorted.get(kept++).weight());
        }
        assertThat(s.total()).isEqualTo(expected);
        assertThat(s.kept()).as("kept edges").isEqualTo(kept);
        for (int q = 0; q < kept; q++) {
            Edge e = sorted.get(q);
            assertThat(new double[] {s.targets()[q], s.sources()[q], s.weights()[q]})
                    .as("kept edge %d", q)
                    .containsExactly(e.target(), e.source(), e.weight());
        }
        assertThat(s.keptMass()).isGreaterThanOrEqualTo(edgeMass - 1e-12);
        if (weights.equals("mixed")) { // a tenth are zeros, never candidates
            assertThat(s.peakCandidates()).as("never every edge at once").isLessThan(all.size());
        }
    }
}
