package dev.faultline.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Native memory of this process as tests and benches read it: the bytes glibc's malloc holds in use (libtorch's CPU
 * tensors come from malloc; the Java heap does not), the resident set, and a sampler that keeps both per phase.
 */
public final class NativeMemory {

    private NativeMemory() {}

    /** One phase: native in use at its start, peak and end; resident set at its start and peak. */
    public static final class Span {
        public final String name;
        public final long start;
        public long peak;
        public long end;
        public final long rssStart;
        public long rssPeak;

        Span(String name, long start, long rss) {
            this.name = name;
            this.start = start;
            this.peak = start;
            this.end = start;
            this.rssStart = rss;
            this.rssPeak = rss;
        }
    }

    /** Resident set bytes, from /proc/self/statm (pages); 0 where there is none. */
    public static long rss() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
            return Long.parseLong(f[1]) * 4096;
        } catch (Exception e) {
            return 0;
        }
    }

    /** Native in-use bytes sampled every 200 µs, kept per phase: at its start, its peak, at its end. */
    public static final class Sampler {
        private final List<Span> spans = new ArrayList<>();
        private long samples;
        private volatile boolean running = true;
        private Thread thread;

        public synchronized void phase(String name) {
            long now = nativeInUse();
            long rss = rss();
            if (!spans.isEmpty()) {
                Span last = spans.get(spans.size() - 1);
                last.end = now;
                last.peak = Math.max(last.peak, now);
                last.rssPeak = Math.max(last.rssPeak, rss);
            }
            spans.add(new Span(name, now, rss));
        }

        private synchronized void sample() {
            if (!spans.isEmpty()) {
                Span last = spans.get(spans.size() - 1);
                last.peak = Math.max(last.peak, nativeInUse());
                if (++samples % 5 == 0) { // the RSS every millisecond: reading /proc costs more than mallinfo2
                    last.rssPeak = Math.max(last.rssPeak, rss());
                }
            }
        }

        public synchronized List<Span> spans() {
            return new ArrayList<>(spans);
        }

        public void start() {
            thread = new Thread(() -> {
                while (running) {
                    sample();
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        public void stop() throws InterruptedException {
            running = false;
            thread.join();
        }
    }

    /** glibc's {@code mallinfo2}: what malloc holds in use, over every arena, plus its mapped blocks. */
    interface CLib extends com.sun.jna.Library {
        MallInfo2.ByValue mallinfo2();
    }

    /** struct mallinfo2: ten size_t counters. */
    @com.sun.jna.Structure.FieldOrder({
        "arena",
        "ordblks",
        "smblks",
        "hblks",
        "hblkhd",
        "usmblks",
        "fsmblks",
        "uordblks",
        "fordblks",
        "keepcost"
    })
    public static class MallInfo2 extends com.sun.jna.Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        public static class ByValue extends MallInfo2 implements com.sun.jna.Structure.ByValue {}
    }

    private static final CLib LIBC = com.sun.jna.Native.load("c", CLib.class);

    /**
     * Native bytes in use: malloc'ed (every arena) plus mapped blocks. libtorch's CPU tensors come from malloc; the
     * Java heap does not, so garbage collection and heap growth do not blur this the way they blur the RSS.
     */
    public static long nativeInUse() {
        MallInfo2 m = LIBC.mallinfo2();
        return m.uordblks + m.hblkhd;
    }
}
