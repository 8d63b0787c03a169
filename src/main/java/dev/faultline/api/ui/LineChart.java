package dev.faultline.api.ui;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Geometry of a small inline-SVG line chart (per-layer relevance profile, checkpoint trends): the template draws it
 * from numbers and escaped labels only. Missing values (null) leave a gap in the dots and are skipped by the line.
 */
public record LineChart(
        int width,
        int height,
        double left,
        double right,
        double top,
        double bottom,
        double zeroY,
        List<Tick> xTicks,
        List<Tick> yTicks,
        List<Series> series) {

    /** An axis tick: position in pixels and label. */
    public record Tick(double pos, String label) {}

    /** One drawn series: polyline points and dots with hover titles. */
    public record Series(String name, String colour, String dash, String points, List<Dot> dots) {}

    public record Dot(double x, double y, String title) {}

    /** Values of one series, one per x label. */
    public record Data(String name, String colour, String dash, List<Double> values) {}

    public static LineChart of(List<String> xLabels, List<Data> data, int width, int height, int digits) {
        double left = 56;
        double right = width - 40;
        double top = 14;
        double bottom = height - 30;
        double min = 0;
        double max = 0;
        for (Data d : data) {
            for (Double v : d.values()) {
                if (v != null && Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (max - min < 1e-12) {
            max = min + 1;
        }
        final double lo = min;
        final double hi = max;
        int n = xLabels.size();
        java.util.function.IntToDoubleFunction x =
                i -> n <= 1 ? (left + right) / 2 : left + i * (right - left) / (n - 1);
        java.util.function.DoubleUnaryOperator y = v -> bottom - (v - lo) / (hi - lo) * (bottom - top);
        List<Tick> xTicks = new ArrayList<>();
        int every = Math.max(1, (int) Math.ceil(n / 16.0));
        for (int i = 0; i < n; i++) {
            if (i % every == 0 || i == n - 1) {
                xTicks.add(new Tick(round(x.applyAsDouble(i)), xLabels.get(i)));
            }
        }
        List<Tick> yTicks = new ArrayList<>();
        for (int k = 0; k <= 4; k++) {
            double v = lo + k * (hi - lo) / 4;
            yTicks.add(new Tick(round(y.applyAsDouble(v)), Fmt.fixed(v, digits)));
        }
        List<Series> series = new ArrayList<>();
        for (Data d : data) {
            StringBuilder pts = new StringBuilder();
            List<Dot> dots = new ArrayList<>();
            for (int i = 0; i < Math.min(n, d.values().size()); i++) {
                Double v = d.values().get(i);
                if (v == null || !Double.isFinite(v)) {
                    continue;
                }
                double px = round(x.applyAsDouble(i));
                double py = round(y.applyAsDouble(v));
                pts.append(String.format(Locale.ROOT, "%s%.1f,%.1f", pts.length() == 0 ? "" : " ", px, py));
                dots.add(new Dot(px, py, d.name() + " at " + xLabels.get(i) + ": " + Fmt.signed(v, digits + 1)));
            }
            series.add(new Series(d.name(), d.colour(), d.dash(), pts.toString(), dots));
        }
        return new LineChart(
                width, height, left, right, top, bottom, round(y.applyAsDouble(0)), xTicks, yTicks, series);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
