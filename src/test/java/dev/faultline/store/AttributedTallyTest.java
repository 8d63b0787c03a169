package dev.faultline.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionStatus;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Only ATTRIBUTED results count; each segment is averaged over the results that have it. */
class AttributedTallyTest {

    @Test
    void onlyAttributedResultsCountAndSegmentsAreAveragedOverThoseHavingThem() {
        AttributedTally tally = new AttributedTally();
        tally.add(AttributionStatus.ATTRIBUTED, true, Map.of("query", 1.0));
        tally.add(AttributionStatus.ATTRIBUTED, false, Map.of("query", 3.0, "evidence", -2.0));
        tally.add(AttributionStatus.ATTRIBUTED, null, null);
        tally.add(AttributionStatus.LOW_LOGIT_DIFF, true, Map.of("query", 100.0));
        tally.add(null, true, Map.of("evidence", 100.0));

        assertThat(tally.attributed()).isEqualTo(3);
        assertThat(tally.informative()).isEqualTo(1);
        assertThat(tally.segmentMeans()).containsExactly(Map.entry("query", 2.0), Map.entry("evidence", -2.0));
    }

    @Test
    void anEmptyTallyHasNoSegments() {
        AttributedTally tally = new AttributedTally();
        assertThat(tally.attributed()).isZero();
        assertThat(tally.informative()).isZero();
        assertThat(tally.segmentMeans()).isEmpty();
    }
}
