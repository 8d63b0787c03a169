package dev.faultline.store;

import dev.faultline.contract.AttributionStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The attributed results among a set of results (a revision's points, a model's comparison outcomes): how many, how
 * many of them informative, and each segment's relevance averaged over those that have it.
 */
public final class AttributedTally {

    private int attributed;
    private int informative;
    /** Per segment name: the sum of its relevance and the number of results that have it. */
    private final Map<String, double[]> segments = new LinkedHashMap<>();

    /** Counts one result; only an ATTRIBUTED one adds to the tally. */
    public void add(AttributionStatus status, Boolean informative, Map<String, Double> segments) {
        if (status != AttributionStatus.ATTRIBUTED) {
            return;
        }
        attributed++;
        if (Boolean.TRUE.equals(informative)) {
            this.informative++;
        }
        if (segments != null) {
            segments.forEach((k, v) -> {
                double[] acc = this.segments.computeIfAbsent(k, x -> new double[2]);
                acc[0] += v;
                acc[1]++;
            });
        }
    }

    public int attributed() {
        return attributed;
    }

    public int informative() {
        return informative;
    }

    /** Mean relevance per segment name, in the order the names were first seen. */
    public Map<String, Double> segmentMeans() {
        Map<String, Double> mean = new LinkedHashMap<>();
        segments.forEach((k, acc) -> mean.put(k, acc[0] / acc[1]));
        return mean;
    }
}
