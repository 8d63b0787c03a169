package dev.faultline.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;

/** The in-process copies of stored results: bounded by characters, least recently used out. */
class LocalResultsTest {

    static AttributionResult result(String id) {
        return new AttributionResult(AttributionResult.SCHEMA, id, "run", null, null, null, AttributionStatus.CORRECT,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    @Test
    void keepsWithinTheBudgetDroppingTheLeastRecentlyUsed() {
        LocalResults local = new LocalResults(100);
        local.put("a", result("a"), 40);
        local.put("b", result("b"), 40);
        assertThat(local.get("a").eventId()).isEqualTo("a"); // a is now the most recently used
        local.put("c", result("c"), 40);
        assertThat(local.get("b")).as("least recently used").isNull();
        assertThat(local.get("a")).isNotNull();
        assertThat(local.get("c")).isNotNull();
        assertThat(local.chars()).isEqualTo(80);
    }

    @Test
    void replacingAndRemovingKeepTheCountRightAndOversizedResultsAreNotKept() {
        LocalResults local = new LocalResults(100);
        local.put("a", result("a"), 40);
        local.put("a", result("a2"), 10);
        assertThat(local.chars()).isEqualTo(10);
        assertThat(local.get("a").eventId()).isEqualTo("a2");
        local.remove("a");
        assertThat(local.size()).isZero();
        assertThat(local.chars()).isZero();
        local.put("big", result("big"), 101);
        assertThat(local.get("big")).isNull();
        LocalResults off = new LocalResults(0);
        off.put("a", result("a"), 1);
        assertThat(off.get("a")).isNull();
    }
}
