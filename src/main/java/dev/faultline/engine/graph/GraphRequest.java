package dev.faultline.engine.graph;

import dev.faultline.engine.AttributionRequest;
import dev.faultline.engine.Method;
import dev.faultline.engine.SoftmaxRule;

/**
 * What to build an attribution graph of, and how hard to prune it.
 *
 * @param ids               the teacher-forced input ids
 * @param position          the target position (-1 = last)
 * @param wrong             the wrong token; the target is {@code logit(wrong) - logit(correct)}
 * @param correct           the contrast token, or null for the single logit {@code logit(wrong)}
 * @param nodeThreshold     rows are computed only for nodes with {@code |R| > nodeThreshold · |Δℓ|} (relative to the
 *                          target's logit difference, so the same value fits every model and target; default 0.01)
 * @param edgeMass          per sub-layer, the smallest edge set holding this share of the total |weight| is kept
 *                          (default 0.85)
 * @param batchSize         target rows per backward pass; 0 = chosen from {@code memoryBudgetBytes}
 * @param memoryBudgetBytes activation memory one batched pass may use (when batchSize is 0)
 */
public record GraphRequest(
        int[] ids,
        int position,
        int wrong,
        Integer correct,
        Method method,
        SoftmaxRule softmax,
        double nodeThreshold,
        double edgeMass,
        int batchSize,
        long memoryBudgetBytes) {

    public static final double DEFAULT_NODE_THRESHOLD = 0.01;
    public static final double DEFAULT_EDGE_MASS = 0.85;
    public static final long DEFAULT_MEMORY_BUDGET = 512L << 20;

    public GraphRequest {
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("ids must not be empty");
        }
        if (!(nodeThreshold >= 0) || Double.isInfinite(nodeThreshold)) {
            throw new IllegalArgumentException("node-threshold must be a finite number >= 0, got " + nodeThreshold);
        }
        if (!(edgeMass > 0 && edgeMass <= 1)) {
            throw new IllegalArgumentException("edge-mass must be in (0, 1], got " + edgeMass);
        }
        if (batchSize < 0) {
            throw new IllegalArgumentException("batch size must be >= 0 (0 = automatic), got " + batchSize);
        }
        if (memoryBudgetBytes <= 0) {
            throw new IllegalArgumentException("memory budget must be > 0 bytes, got " + memoryBudgetBytes);
        }
        method = method == null ? Method.ATTNLRP : method;
        softmax = softmax == null ? SoftmaxRule.ATTNLRP : softmax;
    }

    /** The graph of an attribution request's target, with the default thresholds and an automatic batch size. */
    public static GraphRequest of(AttributionRequest r) {
        return of(r, DEFAULT_NODE_THRESHOLD, DEFAULT_EDGE_MASS);
    }

    /** The graph of an attribution request's target with the given thresholds and an automatic batch size. */
    public static GraphRequest of(AttributionRequest r, double nodeThreshold, double edgeMass) {
        return new GraphRequest(
                r.ids(),
                r.position(),
                r.wrong(),
                r.correct(),
                r.method(),
                r.softmax(),
                nodeThreshold,
                edgeMass,
                0,
                DEFAULT_MEMORY_BUDGET);
    }

    /** The same request with a fixed batch size (1 = row by row). */
    public GraphRequest withBatchSize(int b) {
        return new GraphRequest(
                ids, position, wrong, correct, method, softmax, nodeThreshold, edgeMass, b, memoryBudgetBytes);
    }

    /** The position resolved against the input length. */
    public int resolvedPosition() {
        return position < 0 ? ids.length + position : position;
    }
}
