package dev.faultline.engine.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression test for the engine's GC defect: scalar factors on the gradient path must live in memory
 * libtorch owns. DJL's {@code mul(Number)} put them in a Java direct buffer that a garbage collection between forward
 * and backward freed, so the backward multiplied by garbage (right Δℓ, wrong relevance).
 */
class PassGcTest {

    /** Collects garbage and churns small native allocations so that a freed scalar buffer would be overwritten. */
    private static void collectAndChurn() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(30); // the Cleaner thread frees unreachable direct buffers
            List<ByteBuffer> churn = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(8);
                b.putDouble(0, 1e30);
                churn.add(b);
            }
            churn.clear();
        }
    }

    @Test
    void scalarFactorsSurviveAGarbageCollectionBetweenForwardAndBackward() throws Exception {
        double[] xs = {1, -2, 3, 0.5};
        for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            try (NDScope scope = new NDScope();
                    NDManager m = NDManager.newBaseManager("PyTorch")) {
                Pass p = new Pass(m, true, false, true);
                NDArray x = m.create(xs).toType(dt, true).duplicate();
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                    // uniform rule (half the gradient) then a scale: d/dx = 0.5 * 0.125; and d/dx 2x³ = 6x²
                    NDArray y = p.scale(p.half(x), 0.125);
                    NDArray cube = p.scale(x.pow(p.constant(3, dt)), 2.0);
                    NDArray target = y.sum().add(cube.sum());
                    collectAndChurn();
                    gc.backward(target);
                }
                double[] g = x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
                for (int i = 0; i < g.length; i++) {
                    assertThat(g[i]).as("%s gradient %d", dt, i).isCloseTo(0.0625 + 6 * xs[i] * xs[i], offset(1e-5));
                }
                assertThat(p.constant(0.125, dt).getDataType()).isEqualTo(dt);
                assertThat(p.constant(0.125, dt)).isSameAs(p.constant(0.125, dt));
            }
        }
    }
}
