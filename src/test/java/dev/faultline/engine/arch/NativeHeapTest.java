package dev.faultline.engine.arch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.faultline.engine.NativeMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeHeap#trim} gives the pages of freed libtorch tensors back: tensors of a few MiB each (below glibc's
 * mmap threshold once it has adapted, so they come from the heap, as a pass's temporaries do) are allocated
 * interleaved with ones that stay, the others freed; the resident set stays up until the trim, which returns most
 * of the freed bytes. Fails where the trim does nothing.
 */
class NativeHeapTest {

    @Test
    void trimReturnsThePagesOfFreedTensors() throws Exception {
        assertThat(NativeHeap.available())
                .as("glibc's malloc_trim on this Linux")
                .isTrue();
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            // adapt the mmap threshold upward the way a pass does: free one mmapped chunk of the size used below
            m.ones(new Shape(1 << 20)).close();
            List<NDArray> kept = new ArrayList<>();
            List<NDArray> freed = new ArrayList<>();
            for (int i = 0; i < 128; i++) { // 128 × (4 MiB freed + 64 KiB kept), interleaved: holes below the top
                freed.add(m.ones(new Shape(1 << 20)));
                kept.add(m.ones(new Shape(1 << 14)));
            }
            long freedBytes = 128L * (4L << 20);
            freed.forEach(NDArray::close);
            long before = NativeMemory.rss();
            NativeHeap.trim();
            long after = NativeMemory.rss();
            System.out.printf(
                    "resident %.1f MiB before the trim, %.1f MiB after (%.1f MiB freed)%n",
                    before / 1048576.0, after / 1048576.0, freedBytes / 1048576.0);
            assertThat(before - after).as("bytes the trim returned").isGreaterThan(freedBytes / 2);
            kept.forEach(NDArray::close);
        }
    }
}
