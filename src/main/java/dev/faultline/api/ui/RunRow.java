package dev.faultline.api.ui;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.contract.Verdict;
import dev.faultline.store.RunIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One run as the runs page shows it, and as the live stream sends it (JSON): counts and display strings prepared on
 * the server so that the page's script only fills text into cells.
 */
public record RunRow(
        String runId,
        String href,
        String model,
        String modelHref,
        String revision,
        String benchmark,
        int events,
        int correct,
        int incorrect,
        int unscorable,
        String accuracy,
        List<StatusCount> failures,
        int attributed,
        String coverage,
        String lastResultAt,
        String lastResultText) {

    /** Failures with one status, with the link to the run page filtered by it. */
    public record StatusCount(String status, int count, String href) {}

    /** Answers scored correct or incorrect (accuracy's denominator). */
    public int scored() {
        return correct + incorrect;
    }

    /** {@code 2026-11-24T12:03:21.5Z} as {@code 2026-11-24 12:03:21}. */
    static String shortTime(String iso) {
        if (iso == null) {
            return "";
        }
        String t = iso.replace('T', ' ');
        return t.length() > 19 ? t.substring(0, 19) : t.replace("Z", "");
    }

    public static RunRow of(RunIndex.RunSummary s) {
        Map<Verdict, Integer> v = s.byVerdict() == null ? Map.of() : s.byVerdict();
        int correct = v.getOrDefault(Verdict.CORRECT, 0);
        int incorrect = v.getOrDefault(Verdict.INCORRECT, 0);
        int unscorable = v.getOrDefault(Verdict.UNSCORABLE, 0);
        Map<AttributionStatus, Integer> st = s.byStatus() == null ? Map.of() : s.byStatus();
        List<StatusCount> failures = new ArrayList<>();
        for (AttributionStatus a : AttributionStatus.values()) {
            if (a == AttributionStatus.CORRECT || a == AttributionStatus.UNSCORABLE) {
                continue;
            }
            int n = st.getOrDefault(a, 0);
            if (n > 0) {
                failures.add(new StatusCount(a.name(), n, Links.run(s.runId()) + "?status=" + a.name()));
            }
        }
        int attributed = st.getOrDefault(AttributionStatus.ATTRIBUTED, 0);
        String model = s.model() == null ? null : s.model().name();
        return new RunRow(
                s.runId(),
                Links.run(s.runId()),
                model,
                model == null ? null : Links.model(model),
                s.model() == null ? null : s.model().revision(),
                s.benchmark(),
                s.events(),
                correct,
                incorrect,
                unscorable,
                Fmt.percent(correct, correct + incorrect),
                failures,
                attributed,
                Fmt.percent(attributed, incorrect),
                s.lastResultAt(),
                shortTime(s.lastResultAt()));
    }
}
