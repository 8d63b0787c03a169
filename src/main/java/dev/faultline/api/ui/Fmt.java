package dev.faultline.api.ui;

import java.util.Locale;

/** Number formats of the web view (locale-independent). */
public final class Fmt {

    private Fmt() {}

    /** {@code +1.23} / {@code -0.45} with {@code digits} decimals; an en dash for null or NaN. */
    public static String signed(Double v, int digits) {
        if (v == null || !Double.isFinite(v)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%+." + digits + "f", v);
    }

    /** Plain value for data attributes: full precision, dot decimal. */
    public static String plain(double v) {
        return Double.toString(v);
    }

    /** Fixed decimals, en dash for null/NaN. */
    public static String fixed(Double v, int digits) {
        if (v == null || !Double.isFinite(v)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** A share as {@code 87.5 %}; en dash when the denominator is 0. */
    public static String percent(long part, long whole) {
        if (whole <= 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }

    /** Scientific notation for tiny conservation residuals. */
    public static String sci(Double v) {
        if (v == null || !Double.isFinite(v)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
