package dev.faultline.engine.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The graph from the passes' results: the MLP blocks' diagonal edges pruned, only ancestors of the target node kept,
 * nodes, edges, per-layer pruning figures and the graph's metrics.
 */
final class GraphAssembly {

    private GraphAssembly() {}

    /** Target nodes (positions) whose |relevance| {@code rel} exceeds {@code threshold}, ascending. */
    static int[] aboveThreshold(double[] rel, double threshold) {
        return java.util.stream.IntStream.range(0, rel.length)
                .filter(j -> Math.abs(rel[j]) > threshold)
                .toArray();
    }

    /**
     * Prunes the MLP blocks' diagonal rows ({@code selections} holds the attention layers' at even k, null where no
     * row passed the threshold), keeps only ancestors of the target node, and assembles the graph.
     */
    static AttributionGraph assemble(
            GraphRequest request,
            int layers,
            int t,
            int position,
            double logitDiff,
            double threshold,
            double[][] rel,
            EdgeSelector.Selection[] selections,
            int batch,
            int chunk,
            Map<String, Double> timings) {
        long p0 = System.nanoTime();
        for (int l = 0; l < layers; l++) {
            if (selections[2 * l] == null) { // no rows above the threshold
                selections[2 * l] = new EdgeSelector(request.edgeMass(), 0).select();
            }
            int[] mlpRows = aboveThreshold(rel[2 * l + 2], threshold);
            EdgeSelector mlp = new EdgeSelector(request.edgeMass(), mlpRows.length);
            for (int j : mlpRows) {
                mlp.addVertical(j, rel[2 * l + 1][j]);
            }
            selections[2 * l + 1] = mlp.select();
        }
        int nodeLayers = 2 * layers + 1;
        boolean[][] alive = new boolean[nodeLayers][t];
        alive[2 * layers][position] = true;
        List<AttributionGraph.Edge> edges = new ArrayList<>();
        long[] ancestors = new long[2 * layers];
        int[] edgesInto = new int[nodeLayers];
        double absAll = 0;
        double absVertical = 0;
        double absAttn = 0;
        double absAttnVertical = 0;
        double lookBackWeighted = 0;
        double lookBackSum = 0;
        long attnEdges = 0;
        for (int k = 2 * layers - 1; k >= 0; k--) {
            EdgeSelector.Selection s = selections[k];
            for (int e = 0; e < s.kept(); e++) {
                int j = s.targets()[e];
                if (!alive[k + 1][j]) {
                    continue;
                }
                int i = s.sources()[e];
                double w = s.weights()[e];
                alive[k][i] = true;
                ancestors[k]++;
                edgesInto[k + 1]++;
                edges.add(new AttributionGraph.Edge(id(k, i), id(k + 1, j), w));
                double a = Math.abs(w);
                absAll += a;
                if (i == j) {
                    absVertical += a;
                }
                if (k % 2 == 0) {
                    absAttn += a;
                    attnEdges++;
                    lookBackWeighted += a * (j - i);
                    lookBackSum += j - i;
                    if (i == j) {
                        absAttnVertical += a;
                    }
                }
            }
        }
        List<AttributionGraph.Node> nodes = new ArrayList<>();
        List<AttributionGraph.LayerCount> counts = new ArrayList<>();
        for (int k = 0; k < nodeLayers; k++) {
            int count = 0;
            for (int j = 0; j < t; j++) {
                if (alive[k][j]) {
                    nodes.add(new AttributionGraph.Node(id(k, j), k / 2, stage(k), j, rel[k][j]));
                    count++;
                }
            }
            counts.add(new AttributionGraph.LayerCount(k / 2, stage(k), count, edgesInto[k]));
        }
        List<AttributionGraph.Pruning> pruning = new ArrayList<>();
        long rowsComputed = 0;
        for (int k = 0; k < 2 * layers; k++) {
            EdgeSelector.Selection s = selections[k];
            rowsComputed += s.rows();
            pruning.add(new AttributionGraph.Pruning(
                    (k + 1) / 2,
                    stage(k + 1),
                    k % 2 == 0 ? "attention" : "mlp",
                    s.threshold(),
                    s.kept(),
                    s.total(),
                    s.rows(),
                    ancestors[k],
                    s.keptMass(),
                    (double) s.kept() / ((double) t * t),
                    s.peakCandidates()));
        }
        timings.put("prune", (System.nanoTime() - p0) / 1e6);
        AttributionGraph.Metrics metrics = new AttributionGraph.Metrics(
                t,
                position,
                logitDiff,
                request.nodeThreshold(),
                request.edgeMass(),
                batch,
                chunk,
                rowsComputed,
                absAll == 0 ? 0 : absVertical / absAll,
                absAttn == 0 ? 0 : absAttnVertical / absAttn,
                absAttn == 0 ? 0 : lookBackWeighted / absAttn,
                attnEdges == 0 ? 0 : lookBackSum / attnEdges,
                counts,
                timings);
        return new AttributionGraph(nodes, edges, pruning, metrics);
    }

    private static String stage(int k) {
        return k % 2 == 0 ? AttributionGraph.INPUT : AttributionGraph.POST_ATTENTION;
    }

    private static String id(int k, int position) {
        return AttributionGraph.nodeId(k / 2, stage(k), position);
    }
}
