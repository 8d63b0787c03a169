package dev.faultline.engine.graph;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/**
 * Reference edge rows by the plain definition: the FULL sub-layer k on h_k repeated n times, copy b seeded with G_b
 * (zero except row rs[b] = g_{k+1}[rs[b]]), one backward pass; what the builder's rows (closed form or repeated
 * copies) must equal.
 */
final class FullRows {

    private FullRows() {}

    /** Rows {@code rs} of sub-layer {@code k} of the graph {@code b} is building: [n][T]. */
    static double[][] of(GraphBuilder b, int k, int[] rs) {
        GraphPasses passes = b.passes();
        int n = rs.length;
        NDArray hk = passes.state(k);
        int t = (int) hk.getShape().get(1);
        try (NDManager pm = passes.newSubManager()) {
            NDArray x = hk.duplicate();
            x.attach(pm);
            x = x.repeat(0, n);
            x.setRequiresGradient(true);
            float[] onehot = new float[n * t];
            for (int c = 0; c < n; c++) {
                onehot[c * t + rs[c]] = 1f;
            }
            NDArray gk = pm.create(onehot, new Shape(n, t, 1))
                    .toType(passes.dtype(), false)
                    .mul(passes.gradient(k + 1));
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = passes.block(passes.pass(pm), k, x);
                gc.backward(y.mul(gk).sum());
            }
            return GraphPasses.rowSums(x, x.getGradient());
        }
    }
}
