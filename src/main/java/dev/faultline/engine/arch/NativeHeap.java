package dev.faultline.engine.arch;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Gives freed native memory back to the operating system (glibc's {@code malloc_trim}). libtorch's CPU tensors come
 * from malloc, and glibc keeps the pages of freed chunks resident for reuse: after a large pass the resident set
 * stays hundreds of MiB above what is in use, and within a pass the freed temporaries of earlier layers pile up
 * beside the activations autograd keeps (bench/RESULTS.md, "Where the memory goes": Qwen3-0.6B shape at 512 tokens,
 * resident 5.2 GiB at a peak of 4.1 GiB in use). Large passes trim a few times during their forward ({@link
 * Pass#trimEvery}) and once at their end; a trim costs ~7 ms plus the page faults of reusing what it returned, so
 * not after every layer (+10 % attribution time there). A no-op where the C library has no {@code malloc_trim}.
 */
public final class NativeHeap {

    /** Passes estimated below this are not followed by a trim: their freed memory is small and reused soon. */
    public static final long TRIM_AFTER_BYTES = 256L << 20;

    private interface CLib extends Library {
        int malloc_trim(long pad);
    }

    private static final CLib LIBC = load();

    private NativeHeap() {}

    private static CLib load() {
        try {
            CLib c = Native.load("c", CLib.class);
            c.malloc_trim(0); // resolves the symbol now: absent -> no trimming at all
            return c;
        } catch (Throwable e) { // UnsatisfiedLinkError (no such symbol or library), or JNA unavailable
            return null;
        }
    }

    /** Whether this process can trim ({@code malloc_trim} found). */
    public static boolean available() {
        return LIBC != null;
    }

    /** Hands free pages of every malloc arena back to the OS; true when something was released. */
    public static boolean trim() {
        return LIBC != null && LIBC.malloc_trim(0) != 0;
    }
}
