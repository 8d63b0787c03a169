package dev.faultline.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tracked-set policies: all, first N, and a seeded sample that does not depend on arrival order. */
class SetPolicyTest {

    static TrackedFailure failure(String id) {
        return new TrackedFailure(
                id, "m", "main", null, "b", id, new int[] {1, 2}, 1, 3, " a", 4, " b", 2.0, List.of(), List.of());
    }

    static LinkedHashMap<String, TrackedFailure> fill(SetPolicy p, List<String> ids) {
        LinkedHashMap<String, TrackedFailure> set = new LinkedHashMap<>();
        for (String id : ids) {
            TrackedFailure f = failure(id);
            SetPolicy.Admission a = p.admit(set, f);
            if (a.admitted()) {
                a.evicted().ifPresent(out -> set.remove(out.eventId()));
                set.put(id, f);
            }
        }
        return set;
    }

    static List<String> ids(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("bench/" + i);
        }
        return out;
    }

    @Test
    void allKeepsEveryFailureOnce() {
        List<String> ids = new ArrayList<>(ids(100));
        ids.add("bench/3");
        assertThat(fill(new SetPolicy(SetPolicy.Kind.ALL, 10, 0), ids)).hasSize(100);
    }

    @Test
    void firstKeepsTheFirstNInArrivalOrder() {
        assertThat(fill(new SetPolicy(SetPolicy.Kind.FIRST, 10, 0), ids(100)).keySet())
                .containsExactlyElementsOf(ids(10));
    }

    @Test
    void sampleKeepsTheSameNWhateverTheOrderAndDependsOnTheSeed() {
        List<String> shuffled = new ArrayList<>(ids(200));
        Collections.shuffle(shuffled, new Random(7));
        var a = fill(new SetPolicy(SetPolicy.Kind.SAMPLE, 20, 42), ids(200)).keySet();
        var b = fill(new SetPolicy(SetPolicy.Kind.SAMPLE, 20, 42), shuffled).keySet();
        var c = fill(new SetPolicy(SetPolicy.Kind.SAMPLE, 20, 43), ids(200)).keySet();
        assertThat(a).hasSize(20).containsExactlyInAnyOrderElementsOf(b);
        assertThat(c).hasSize(20).isNotEqualTo(a);
        assertThat(a).isNotEqualTo(new java.util.LinkedHashSet<>(ids(20)));
    }

    @Test
    void unknownPolicyIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> SetPolicy.Kind.parse("newest")).hasMessageContaining("all, first or sample");
        assertThatThrownBy(() -> new SetPolicy(SetPolicy.Kind.FIRST, 0, 0)).hasMessageContaining("max-per-benchmark");
        assertThat(SetPolicy.Kind.parse(" Sample ")).isEqualTo(SetPolicy.Kind.SAMPLE);
    }
}
