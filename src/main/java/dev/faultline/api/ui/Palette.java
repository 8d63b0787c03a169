package dev.faultline.api.ui;

import java.util.Locale;

/**
 * The heatmap's diverging colour scale: ColorBrewer RdBu (9 classes; colour-blind safe), interpolated in sRGB.
 * Positive normalised relevance (toward the wrong token) is red, negative (toward the contrast token) blue, zero a
 * near-white grey. Text on strong colours turns white so that every cell keeps a readable contrast.
 */
public final class Palette {

    /** Name shown in the legend. */
    public static final String NAME = "ColorBrewer RdBu (diverging, colour-blind safe)";

    /** RdBu from -1 (blue, toward the contrast) to +1 (red, toward the wrong token). */
    private static final int[][] STOPS = {
        rgb(0x2166ac),
        rgb(0x4393c3),
        rgb(0x92c5de),
        rgb(0xd1e5f0),
        rgb(0xf7f7f7),
        rgb(0xfddbc7),
        rgb(0xf4a582),
        rgb(0xd6604d),
        rgb(0xb2182b)
    };

    private Palette() {}

    private static int[] rgb(int hex) {
        return new int[] {hex >> 16 & 0xff, hex >> 8 & 0xff, hex & 0xff};
    }

    /** The colour of normalised relevance {@code v} (clipped to [-1, 1]) as {@code rgb(r, g, b)}. */
    public static String background(double v) {
        int[] c = color(v);
        return String.format(Locale.ROOT, "rgb(%d, %d, %d)", c[0], c[1], c[2]);
    }

    /** Black or white text, whichever has the higher WCAG contrast on {@link #background(double)}. */
    public static String foreground(double v) {
        double l = luminance(color(v));
        double onBlack = (l + 0.05) / 0.05;
        double onWhite = 1.05 / (l + 0.05);
        return onBlack >= onWhite ? "#000000" : "#ffffff"; // at worst (l = 0.179) both give 4.58:1, above WCAG AA
    }

    static int[] color(double v) {
        double x = Double.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
        double pos = (x + 1) / 2 * (STOPS.length - 1);
        int i = (int) Math.floor(pos);
        if (i >= STOPS.length - 1) {
            return STOPS[STOPS.length - 1].clone();
        }
        double f = pos - i;
        int[] a = STOPS[i];
        int[] b = STOPS[i + 1];
        return new int[] {mix(a[0], b[0], f), mix(a[1], b[1], f), mix(a[2], b[2], f)};
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }

    /** WCAG relative luminance. */
    static double luminance(int[] c) {
        double[] l = new double[3];
        for (int k = 0; k < 3; k++) {
            double s = c[k] / 255.0;
            l[k] = s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    }

    /** CSS linear-gradient of the whole scale, blue on the left, for the legend. */
    public static String legendGradient() {
        StringBuilder sb = new StringBuilder("linear-gradient(to right");
        for (int k = 0; k <= 8; k++) {
            sb.append(", ").append(background(-1 + k / 4.0));
        }
        return sb.append(')').toString();
    }
}
