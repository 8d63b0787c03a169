package dev.faultline.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import org.junit.jupiter.api.Test;

/** The in-process copies of stored results: bounded by the characters of their JSON. */
class LocalResultsTest {

    static AttributionResult result(String id) {
        var b = new AttributionResult.Builder();
        b.eventId = id;
        b.runId = "run";
        b.status = AttributionStatus.CORRECT;
        return b.build();
    }

    @Test
    void keepsWithinTheBudgetAndKeepsWhatIsAskedForAgain() {
        LocalResults local = new LocalResults(100);
        local.put("a", result("a"), 40);
        local.put("b", result("b"), 40);
        for (int i = 0; i < 5; i++) {
            assertThat(local.get("a").eventId()).isEqualTo("a");
        }
        local.put("c", result("c"), 40);
        assertThat(local.chars()).as("within the budget").isLessThanOrEqualTo(100);
        assertThat(local.size()).isEqualTo(2);
        assertThat(local.get("a")).as("the entry asked for again stays").isNotNull();
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
