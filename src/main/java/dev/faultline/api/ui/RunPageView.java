package dev.faultline.api.ui;

import dev.faultline.contract.AttributionStatus;
import dev.faultline.store.RunIndex;
import java.util.ArrayList;
import java.util.List;

/** The run page: the run's counts, the status filter, and one page of failures, newest first. */
public record RunPageView(
        RunRow run,
        String status,
        List<Filter> filters,
        List<FailureRow> rows,
        int page,
        int size,
        int total,
        int from,
        int to,
        int pages,
        String prevHref,
        String nextHref) {

    /** A status filter link ({@code status} null: all failures). */
    public record Filter(String label, Integer count, String href, boolean active) {}

    /** One failure. Token texts are model text: the template escapes them. */
    public record FailureRow(
            String exampleId,
            String eventId,
            String href,
            String status,
            String wrong,
            String contrast,
            String logitDiff,
            Integer contrastRank,
            String faithfulness,
            String faithfulnessClass,
            String reason,
            String producedAt) {}

    /** The page number counted from 1. */
    public int pageNumber() {
        return page + 1;
    }

    public static RunPageView of(RunRow run, AttributionStatus status, RunIndex.Page<RunIndex.EventSummary> page) {
        List<Filter> filters = new ArrayList<>();
        String base = run.href();
        filters.add(new Filter("all failures", run.incorrect(), base, status == null));
        for (RunRow.StatusCount c : run.failures()) {
            filters.add(new Filter(
                    c.status(),
                    c.count(),
                    c.href(),
                    status != null && status.name().equals(c.status())));
        }
        List<FailureRow> rows = page.items().stream().map(RunPageView::row).toList();
        int pages = Math.max(1, (page.total() + page.size() - 1) / page.size());
        String query = (status == null ? "" : "status=" + status.name() + "&") + "size=" + page.size() + "&page=";
        String prev = page.page() > 0 ? base + "?" + query + (page.page() - 1) : null;
        String next = (page.page() + 1) * page.size() < page.total() ? base + "?" + query + (page.page() + 1) : null;
        int from = page.total() == 0 ? 0 : Math.min(page.total(), page.page() * page.size() + 1);
        int to = Math.min(page.total(), (page.page() + 1) * page.size());
        return new RunPageView(
                run,
                status == null ? null : status.name(),
                filters,
                rows,
                page.page(),
                page.size(),
                page.total(),
                from,
                to,
                pages,
                prev,
                next);
    }

    static FailureRow row(RunIndex.EventSummary s) {
        String faith;
        String cls;
        if (s.informative() == null) {
            faith = "–";
            cls = "faith-none";
        } else if (s.informative()) {
            faith = "informative";
            cls = "faith-yes";
        } else {
            faith = "not informative";
            cls = "faith-no";
        }
        return new FailureRow(
                s.exampleId() == null ? s.eventId() : s.exampleId(),
                s.eventId(),
                Links.failure(s.eventId()),
                s.status() == null ? "?" : s.status().name(),
                s.wrong() == null ? null : Tokens.visible(s.wrong()),
                s.contrast() == null ? null : Tokens.visible(s.contrast()),
                Fmt.signed(s.logitDiff(), 2),
                s.contrastRank(),
                faith,
                cls,
                s.reason(),
                s.producedAt());
    }
}
