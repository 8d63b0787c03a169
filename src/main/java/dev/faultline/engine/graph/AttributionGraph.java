package dev.faultline.engine.graph;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * A pruned cross-layer attribution graph: nodes are residual-stream states (layer, stage, position) with their
 * relevance from the global contrastive backward pass, edges carry the gradient×input of one sub-layer from a source
 * node into a target node, and {@code pruning} says per sub-layer what was kept. Only kept edges are ever stored.
 */
public record AttributionGraph(List<Node> nodes, List<Edge> edges, List<Pruning> pruning, Metrics metrics) {

    /** Stage of a node: the residual stream entering a layer. Layer L's input is the stream entering the final norm. */
    public static final String INPUT = "input";
    /** Stage of a node: the residual stream after a layer's attention block (before its MLP). */
    public static final String POST_ATTENTION = "post_attention";

    /** Id of the node (layer, stage, position): {@code "3:input:17"}. */
    public static String nodeId(int layer, String stage, int position) {
        return layer + ":" + stage + ":" + position;
    }

    /** One residual-stream state: relevance = Σ over hidden of h ⊙ g from the global backward pass. */
    public record Node(String id, int layer, String stage, int position, double relevance) {}

    /** One kept edge: gradient×input at {@code source} of ⟨h_target, sg(g_target)⟩ through one sub-layer. */
    public record Edge(String source, String target, double weight) {}

    /**
     * What pruning did to the edges into one node layer ({@code layer}, {@code stage}) from the one before.
     *
     * @param sublayer  {@code attention} or {@code mlp}
     * @param threshold smallest |weight| kept by the edge-mass rule
     * @param kept      edges holding edge-mass of the total |weight|
     * @param total     edges computed (rows × causal sources)
     * @param rows      target nodes whose rows were computed (|R| above node-threshold)
     * @param ancestors kept edges that are also on a path to the target node (those in {@code edges})
     * @param keptMass  share of the total |weight| held by the kept edges (≥ edge-mass)
     * @param denseShare kept / T² (the dense matrix the paper's code stores)
     * @param peakCandidates the most edges held at once while the rows arrived (memory: never the dense matrix)
     */
    public record Pruning(
            int layer,
            String stage,
            String sublayer,
            double threshold,
            long kept,
            long total,
            int rows,
            long ancestors,
            @JsonProperty("kept_mass") double keptMass,
            @JsonProperty("dense_share") double denseShare,
            @JsonProperty("peak_candidates") long peakCandidates) {}

    /** Node and edge count of one node layer in the final graph (edges = those entering it). */
    public record LayerCount(int layer, String stage, int nodes, int edges) {}

    /**
     * Graph metrics (cheap ones of the paper's code's list).
     *
     * @param verticality          share of |weight| on edges staying at the same position (all sub-layers)
     * @param attentionVerticality the same over attention edges only (MLP edges are all vertical)
     * @param meanLookBack         |weight|-weighted mean of target − source position over attention edges
     * @param meanLookBackUnweighted plain mean of target − source position over attention edges
     */
    public record Metrics(
            int tokens,
            @JsonProperty("target_position") int targetPosition,
            @JsonProperty("logit_diff") double logitDiff,
            @JsonProperty("node_threshold") double nodeThreshold,
            @JsonProperty("edge_mass") double edgeMass,
            @JsonProperty("batch_size") int batchSize,
            @JsonProperty("query_chunk") int queryChunk,
            @JsonProperty("rows_computed") long rowsComputed,
            double verticality,
            @JsonProperty("attention_verticality") double attentionVerticality,
            @JsonProperty("mean_look_back") double meanLookBack,
            @JsonProperty("mean_look_back_unweighted") double meanLookBackUnweighted,
            List<LayerCount> layers,
            @JsonProperty("timings_ms") Map<String, Double> timingsMs) {}
}
