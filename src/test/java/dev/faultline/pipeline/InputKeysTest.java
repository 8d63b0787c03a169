package dev.faultline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faultline.contract.EvalOutput;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The input key: every field a result is computed from changes it; the event's identity does not. */
class InputKeysTest {

    static final String SETTINGS = "method=attnlrp|softmax=attnlrp";

    static final EvalOutput BASE = new EvalOutput(
            EvalOutput.SCHEMA,
            "e1",
            "run1",
            new EvalOutput.ModelRef("m", "main", 10L),
            "bench",
            "x1",
            "The ball belonged to",
            " Lily.",
            List.of("Tom"),
            new EvalOutput.Scoring("regex", "^\\s*([A-Za-z]+)"),
            null,
            List.of(new EvalOutput.Segment("evidence", 0, 8)),
            null,
            "2026-11-24T00:00:00Z");

    static EvalOutput with(UnaryOperator<Object[]> edit) {
        Object[] f = {
            BASE.eventId(),
            BASE.runId(),
            BASE.model(),
            BASE.benchmark(),
            BASE.exampleId(),
            BASE.prompt(),
            BASE.output(),
            BASE.references(),
            BASE.scoring(),
            BASE.correct(),
            BASE.segments(),
            BASE.error(),
            BASE.producedAt()
        };
        f = edit.apply(f);
        @SuppressWarnings("unchecked")
        EvalOutput e = new EvalOutput(
                EvalOutput.SCHEMA,
                (String) f[0],
                (String) f[1],
                (EvalOutput.ModelRef) f[2],
                (String) f[3],
                (String) f[4],
                (String) f[5],
                (String) f[6],
                (List<String>) f[7],
                (EvalOutput.Scoring) f[8],
                (Boolean) f[9],
                (List<EvalOutput.Segment>) f[10],
                (EvalOutput.ErrorHint) f[11],
                (String) f[12]);
        return e;
    }

    static UnaryOperator<Object[]> set(int i, Object v) {
        return f -> {
            f[i] = v;
            return f;
        };
    }

    @Test
    void identityFieldsAndTheStepDoNotChangeTheKey() {
        String key = InputKeys.of(BASE, SETTINGS);
        assertThat(key).hasSize(64).matches("[0-9a-f]+");
        assertThat(InputKeys.of(with(set(0, "e2")), SETTINGS)).isEqualTo(key);
        assertThat(InputKeys.of(with(set(1, "run2")), SETTINGS)).isEqualTo(key);
        assertThat(InputKeys.of(with(set(3, "other-bench")), SETTINGS)).isEqualTo(key);
        assertThat(InputKeys.of(with(set(4, "x2")), SETTINGS)).isEqualTo(key);
        assertThat(InputKeys.of(with(set(12, null)), SETTINGS)).isEqualTo(key);
        assertThat(InputKeys.of(with(set(2, new EvalOutput.ModelRef("m", "main", 99L))), SETTINGS))
                .isEqualTo(key);
        assertThat(InputKeys.of(with(set(2, new EvalOutput.ModelRef("m", null, null))), SETTINGS))
                .as("no revision means main")
                .isEqualTo(key);
    }

    @Test
    void everyInputAndTheSettingsChangeTheKey() {
        String key = InputKeys.of(BASE, SETTINGS);
        List<EvalOutput> changed = List.of(
                with(set(2, new EvalOutput.ModelRef("m2", "main", 10L))),
                with(set(2, new EvalOutput.ModelRef("m", "step-20", 10L))),
                with(set(5, "The ball belonged to ")),
                with(set(6, " Lily")),
                with(set(7, List.of("Tom", "Lily"))),
                with(set(7, List.of("Tim"))),
                with(set(8, new EvalOutput.Scoring("exact", null))),
                with(set(8, new EvalOutput.Scoring("regex", "^([A-Z]+)"))),
                with(set(9, Boolean.FALSE)),
                with(set(10, List.of(new EvalOutput.Segment("distractor", 0, 8)))),
                with(set(10, List.of(new EvalOutput.Segment("evidence", 0, 9)))),
                with(set(10, null)),
                with(set(11, new EvalOutput.ErrorHint(1, null))),
                with(set(11, new EvalOutput.ErrorHint(null, " Tom"))));
        for (EvalOutput e : changed) {
            assertThat(InputKeys.of(e, SETTINGS)).as(e.toString()).isNotEqualTo(key);
        }
        assertThat(InputKeys.of(BASE, SETTINGS + "|top-k=5")).isNotEqualTo(key);
    }

    @Test
    void fieldBoundariesCannotBeShifted() {
        // prompt + output is the same text; where the split lies is part of the input
        EvalOutput a = with(f -> {
            f[5] = "ab";
            f[6] = "c";
            return f;
        });
        EvalOutput b = with(f -> {
            f[5] = "a";
            f[6] = "bc";
            return f;
        });
        assertThat(InputKeys.of(a, SETTINGS)).isNotEqualTo(InputKeys.of(b, SETTINGS));
        assertThat(InputKeys.of(with(set(7, List.of("a,b"))), SETTINGS))
                .isNotEqualTo(InputKeys.of(with(set(7, List.of("a", "b"))), SETTINGS));
    }

    private static EvalOutput withAdditions(
            java.util.List<java.util.Map<String, Object>> messages,
            String extracted,
            List<Integer> promptIds,
            List<Integer> outputIds,
            java.util.Map<String, Object> kwargs) {
        EvalOutput b = BASE;
        return new EvalOutput(
                b.schema(),
                b.eventId(),
                b.runId(),
                b.model(),
                b.benchmark(),
                b.exampleId(),
                b.prompt(),
                b.output(),
                b.references(),
                b.scoring(),
                b.correct(),
                b.segments(),
                b.error(),
                b.producedAt(),
                messages,
                null,
                kwargs,
                extracted,
                promptIds,
                outputIds);
    }

    @Test
    void theWhatTheModelSawAdditionsChangeTheKey() {
        String key = InputKeys.of(BASE, SETTINGS);
        assertThat(InputKeys.of(withAdditions(null, null, null, null, null), SETTINGS))
                .isEqualTo(key);
        List<EvalOutput> changed = List.of(
                withAdditions(List.of(java.util.Map.of("role", "user", "content", "hi")), null, null, null, null),
                withAdditions(null, "Lily", null, null, null),
                withAdditions(null, null, List.of(1, 2), null, null),
                withAdditions(null, null, null, List.of(3), null),
                withAdditions(null, null, List.of(1, 2), List.of(3), null),
                withAdditions(null, null, List.of(1), List.of(2, 3), null),
                withAdditions(
                        List.of(java.util.Map.of("role", "user", "content", "hi")),
                        null,
                        null,
                        null,
                        java.util.Map.of("enable_thinking", false)));
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (EvalOutput e : changed) {
            String k = InputKeys.of(e, SETTINGS);
            assertThat(k).isNotEqualTo(key);
            keys.add(k);
        }
        assertThat(keys).hasSize(changed.size());
        // the same map content in another key order is the same input
        java.util.Map<String, Object> ab = new java.util.LinkedHashMap<>();
        ab.put("role", "user");
        ab.put("content", "hi");
        java.util.Map<String, Object> ba = new java.util.LinkedHashMap<>();
        ba.put("content", "hi");
        ba.put("role", "user");
        assertThat(InputKeys.of(withAdditions(List.of(ab), null, null, null, null), SETTINGS))
                .isEqualTo(InputKeys.of(withAdditions(List.of(ba), null, null, null, null), SETTINGS));
    }
}
