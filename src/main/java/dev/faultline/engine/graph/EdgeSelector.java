package dev.faultline.engine.graph;

import java.util.Arrays;

/**
 * Edge-mass pruning of one sub-layer while its rows arrive: keeps the smallest edge set holding {@code edgeMass} of
 * the total |weight|, without ever holding all N edges.
 *
 * <p>Why an edge can be dropped on arrival: let τ be the smallest |w| of the final kept set, M the final total |w|
 * and N the number of edges. The edges with |w| ≤ τ, the last kept one included, hold more than (1 - edgeMass)·M
 * (the kept prefix without its last edge held less than edgeMass·M), and there are at most N of them, so
 * {@code τ ≥ (1 - edgeMass)·M/N}. N is known before the rows are computed (the rows above the node threshold and
 * their causal sources) and M only grows, so an edge with {@code |w| < (1 - edgeMass)·M_seen/N} can never be kept:
 * it is dropped at once, and the candidates are re-filtered as M_seen grows. The result equals the full sort's.
 * Memory: the candidates (edges above that bound) plus one batch of rows.
 */
final class EdgeSelector {

    private final double edgeMass;
    private final long expectedEdges;
    private int[] targets = new int[256];
    private int[] sources = new int[256];
    private double[] weights = new double[256];
    private int size;
    private int compactAt = 1 << 16;
    private double totalAbs;
    private long total;
    private int rows;
    private long peakCandidates;

    /** @param expectedEdges N: how many edges will arrive in all (an upper bound is fine, a lower one is not) */
    EdgeSelector(double edgeMass, long expectedEdges) {
        this.edgeMass = edgeMass;
        this.expectedEdges = Math.max(1, expectedEdges);
    }

    private double bound() {
        return (1 - edgeMass) * totalAbs / expectedEdges;
    }

    /** Adds row {@code target}: {@code w[off + i]} is the weight from source position {@code i}, i in [0, n). */
    void addRow(int target, double[] w, int off, int n) {
        rows++;
        total += n;
        for (int i = 0; i < n; i++) {
            totalAbs += Math.abs(w[off + i]);
        }
        double bound = bound();
        for (int i = 0; i < n; i++) {
            double v = w[off + i];
            if (v != 0 && Math.abs(v) >= bound) {
                push(target, i, v);
            }
        }
        if (size >= compactAt) {
            compact();
        }
    }

    /** Adds a single-edge row (MLP sub-layers are position-wise: the only source of row j is j itself). */
    void addVertical(int target, double w) {
        rows++;
        total++;
        totalAbs += Math.abs(w);
        if (w != 0 && Math.abs(w) >= bound()) {
            push(target, target, w);
        }
    }

    private void compact() {
        double bound = bound();
        int k = 0;
        for (int i = 0; i < size; i++) {
            if (Math.abs(weights[i]) >= bound) {
                targets[k] = targets[i];
                sources[k] = sources[i];
                weights[k] = weights[i];
                k++;
            }
        }
        size = k;
        compactAt = Math.max(1 << 16, 2 * size);
    }

    private void push(int t, int s, double w) {
        if (size == targets.length) {
            int n = size * 2;
            targets = Arrays.copyOf(targets, n);
            sources = Arrays.copyOf(sources, n);
            weights = Arrays.copyOf(weights, n);
        }
        targets[size] = t;
        sources[size] = s;
        weights[size] = w;
        size++;
        peakCandidates = Math.max(peakCandidates, size);
    }

    /** The most candidates held at once (memory accounting). */
    long peakCandidates() {
        return peakCandidates;
    }

    /** The kept edges of this sub-layer: the smallest set holding ≥ edge-mass of the total, largest |weight| first. */
    Selection select() {
        if (total > expectedEdges) {
            throw new IllegalStateException(total + " edges arrived, " + expectedEdges + " were announced");
        }
        compact();
        double need = edgeMass * totalAbs;
        double[] abs = topAbs(need);
        Prefix prefix = prefix(abs, need);
        if (prefix.kept() == abs.length && prefix.mass() < need && abs.length < size) {
            abs = absWeights(); // the top set fell short by rounding: take every candidate
            Arrays.sort(abs);
            prefix = prefix(abs, need);
        }
        int n = abs.length;
        int kept = prefix.kept();
        double threshold = prefix.threshold();
        double cum = prefix.mass();
        // gather: every edge above the threshold, then ties at it until `kept` edges
        int above = 0;
        for (int i = 0; i < size; i++) {
            if (Math.abs(weights[i]) > threshold) {
                above++;
            }
        }
        int ties = kept - above;
        // order: largest |weight| first, ties by arrival. Sort keys (edges with a larger |weight|) << 32 | index as
        // primitives; the count of larger ones comes from the sorted |weights| (no boxed comparator sort)
        long[] order = new long[kept];
        int r = 0;
        for (int i = 0; i < size && r < kept; i++) {
            double a = Math.abs(weights[i]);
            if (a > threshold || a == threshold && ties-- > 0) {
                order[r++] = (long) (n - upperBound(abs, a)) << 32 | i;
            }
        }
        Arrays.sort(order);
        int[] t = new int[kept];
        int[] s = new int[kept];
        double[] v = new double[kept];
        for (int q = 0; q < kept; q++) {
            int i = (int) order[q];
            t[q] = targets[i];
            s[q] = sources[i];
            v[q] = weights[i];
        }
        targets = sources = new int[0]; // free the candidates: only kept edges live on
        weights = new double[0];
        size = 0;
        return new Selection(t, s, v, threshold, total, rows, totalAbs == 0 ? 1 : cum / totalAbs, peakCandidates);
    }

    /** The candidates' |weight|, in arrival order. */
    private double[] absWeights() {
        double[] abs = new double[size];
        for (int i = 0; i < size; i++) {
            abs[i] = Math.abs(weights[i]);
        }
        return abs;
    }

    /** The shortest descending prefix of ascending {@code abs} holding {@code need} (at least one edge). */
    private record Prefix(int kept, double threshold, double mass) {}

    private static Prefix prefix(double[] abs, double need) {
        int n = abs.length;
        double cum = 0;
        int kept = 0;
        double threshold = 0;
        while (kept < n && (cum < need || kept == 0)) {
            threshold = abs[n - 1 - kept++];
            cum += threshold;
        }
        return new Prefix(kept, threshold, cum);
    }

    /**
     * Ascending |weight| of a top set of the candidates: every candidate with |weight| ≥ some τ, holding at least
     * {@code need} (plus a margin for the order of summation), found by a selection on mass in O(size) instead of
     * sorting all of them. Its descending prefix is the full sort's, so the cumulative loop in {@link #select} gives
     * the same kept count and threshold; where the margin was not enough, select falls back to every candidate.
     */
    private double[] topAbs(double need) {
        double[] a = absWeights();
        if (size < 1 << 14) {
            Arrays.sort(a);
            return a;
        }
        double left = need + 1e-9 * totalAbs; // mass still to find below the part already taken
        int lo = 0;
        int hi = size; // a[lo, hi) undecided; a[hi, size) taken (all larger than the undecided part)
        java.util.Random rnd = new java.util.Random(size);
        double tau = 0;
        while (hi - lo > 64) {
            double pivot = a[lo + rnd.nextInt(hi - lo)];
            // three-way partition of a[lo, hi): below pivot | equal | above
            int lt = lo;
            int gt = hi;
            int i = lo;
            double massAbove = 0;
            double massEqual = 0;
            while (i < gt) {
                double v = a[i];
                if (v < pivot) {
                    a[i++] = a[lt];
                    a[lt++] = v;
                } else if (v > pivot) {
                    massAbove += v;
                    a[i] = a[--gt];
                    a[gt] = v;
                } else {
                    massEqual += v;
                    i++;
                }
            }
            if (massAbove >= left) {
                lo = gt; // the answer lies above the pivot
            } else if (massAbove + massEqual >= left) {
                tau = pivot;
                lo = hi = lt; // everything from lt on is ≥ pivot
                break;
            } else {
                left -= massAbove + massEqual;
                hi = lt; // take every value ≥ pivot
            }
        }
        int from = lo;
        if (hi > lo) { // a few undecided left: sort them and take from the top until the mass is reached
            Arrays.sort(a, lo, hi);
            from = hi;
            double got = 0;
            while (from > lo && got < left) {
                got += a[--from];
            }
            tau = a[from];
            while (from > lo && a[from - 1] == tau) { // every tie of τ
                from--;
            }
        }
        double[] top = Arrays.copyOfRange(a, from, size);
        Arrays.sort(top);
        return top;
    }

    /** The index of the first element of ascending {@code sorted} greater than {@code a} (its length if none). */
    private static int upperBound(double[] sorted, double a) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= a) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Kept edges of one sub-layer as parallel arrays (target position, source position, weight). */
    record Selection(
            int[] targets,
            int[] sources,
            double[] weights,
            double threshold,
            long total,
            int rows,
            double keptMass,
            long peakCandidates) {

        int kept() {
            return targets.length;
        }
    }
}
