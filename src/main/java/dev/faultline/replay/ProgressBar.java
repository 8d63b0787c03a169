package dev.faultline.replay;

import java.io.PrintStream;

/** A one-line progress bar with counts and rate, redrawn at most five times a second; silent when not on a terminal. */
final class ProgressBar {

    private final PrintStream out;
    private final boolean enabled;
    private final int total;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintStream out, boolean enabled, int total) {
        this.out = out;
        this.enabled = enabled;
        this.total = total;
    }

    void update(int sent, int bad, boolean force) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (!force && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        int width = 30;
        int done = total == 0 ? width : (int) Math.min(width, (long) width * sent / total);
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        out.printf(
                "\r[%s%s] %d/%d sent, %d bad, %.1f events/s ",
                "#".repeat(done), ".".repeat(width - done), sent, total, bad, sent / seconds);
        out.flush();
    }

    void finish(int sent, int bad) {
        if (enabled) {
            update(sent, bad, true);
            out.println();
        }
    }
}
