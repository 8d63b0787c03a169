#!/usr/bin/env python3
# Regenerates grafana/dashboards/*.json (run from the repository root: python3 grafana/tools/gen_dashboards.py).
# The JSON files are what Grafana loads and CI checks; edit here and regenerate, or edit the JSON directly.
import json
DS = {"type": "prometheus", "uid": "faultline-prometheus"}
SEL = 'model=~"$model",benchmark=~"$benchmark"'
RI = "$__rate_interval"

def var(name, query):
    return {"name": name, "label": name, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
            "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "sort": 1,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [], "hide": 0}

class Dash:
    def __init__(self, uid, title, desc, variables):
        self.d = {"uid": uid, "title": title, "description": desc, "tags": ["faultline"], "timezone": "browser",
                  "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1, "refresh": "30s",
                  "time": {"from": "now-6h", "to": "now"}, "fiscalYearStartMonth": 0, "liveNow": False,
                  "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                      "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
                  "links": [{"title": "Faultline", "type": "dashboards", "tags": ["faultline"], "asDropdown": False,
                             "icon": "external link", "includeVars": True, "keepTime": True, "targetBlank": False, "tooltip": "", "url": ""}],
                  "templating": {"list": variables}, "panels": []}
        self.x = 0; self.y = 0; self.rowh = 0; self.id = 1
    def panel(self, ptype, title, desc, targets, w=12, h=8, unit=None, options=None, instant=False, extra=None):
        if self.x + w > 24:
            self.x = 0; self.y += self.rowh; self.rowh = 0
        tg = []
        for i, t in enumerate(targets):
            expr, legend = t
            tgt = {"refId": chr(65 + i), "datasource": DS, "expr": expr, "legendFormat": legend, "range": not instant, "instant": instant}
            if ptype == "heatmap":
                tgt["format"] = "heatmap"
            if instant and ptype in ("table", "barchart"):
                tgt["format"] = "table"
            tg.append(tgt)
        p = {"id": self.id, "type": ptype, "title": title, "description": desc, "datasource": DS,
             "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y}, "targets": tg,
             "fieldConfig": {"defaults": {"unit": unit} if unit else {}, "overrides": []}, "options": options or {}}
        if extra: p.update(extra)
        self.d["panels"].append(p)
        self.id += 1; self.x += w; self.rowh = max(self.rowh, h)
    def row(self, title):
        if self.x: self.x = 0; self.y += self.rowh; self.rowh = 0
        self.d["panels"].append({"id": self.id, "type": "row", "title": title, "collapsed": False,
                                 "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.id += 1; self.y += 1
    def write(self, path):
        with open(path, "w") as f:
            json.dump(self.d, f, indent=2, ensure_ascii=False); f.write("\n")

V = [var("model", "label_values(faultline_events_total, model)"),
     var("benchmark", 'label_values(faultline_events_total{model=~"$model"}, benchmark)'),
     var("revision", 'label_values(faultline_events_total{model=~"$model",benchmark=~"$benchmark"}, revision)')]
SELR = SEL + ',revision=~"$revision"'
TS = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}, "tooltip": {"mode": "multi", "sort": "desc"}}

# ---------------------------------------------------------------- run health
d = Dash("faultline-run-health", "Faultline / Run health", "Input events, verdicts, accuracy and dead letters of the evaluation runs Faultline consumes.", V)
d.row("Throughput")
d.panel("timeseries", "Events/s by verdict", "Scored events per second from eval.outputs, by verdict.",
        [(f'sum by (verdict) (rate(faultline_events_total{{{SELR}}}[{RI}]))', "{{verdict}}")], unit="reqps", options=TS)
d.panel("timeseries", "Dead letters/s by reason", "Records sent to eval.outputs.dlq per second, by reason header.",
        [(f'sum by (reason) (rate(faultline_dlq_total[{RI}]))', "{{reason}}")], unit="reqps", options=TS)
d.panel("stat", "DLQ share", "Dead letters / (scored events + dead letters) over the selected range (alert: FaultlineDlqRateHigh above 5%).",
        [('sum(increase(faultline_dlq_total[$__range])) / (sum(increase(faultline_events_total[$__range])) + sum(increase(faultline_dlq_total[$__range])))', "DLQ share")],
        w=6, h=6, unit="percentunit", instant=True, options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value", "graphMode": "none"})
d.panel("stat", "Unscorable share", "Events that could not be scored (no reference, unknown scoring method).",
        [(f'sum(increase(faultline_events_total{{{SELR},verdict=~"(?i)unscorable"}}[$__range])) / sum(increase(faultline_events_total{{{SELR}}}[$__range]))', "unscorable")],
        w=6, h=6, unit="percentunit", instant=True, options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value", "graphMode": "none"})
d.panel("stat", "Events in range", "Scored events in the selected range.",
        [(f'sum(increase(faultline_events_total{{{SELR}}}[$__range]))', "events")],
        w=12, h=6, unit="short", instant=True, options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value", "graphMode": "none"})
d.row("Accuracy")
d.panel("table", "Accuracy by benchmark and revision", "correct / (correct + incorrect) over the selected range.",
        [(f'sum by (model, benchmark, revision) (increase(faultline_events_total{{{SELR},verdict=~"(?i)correct"}}[$__range])) / sum by (model, benchmark, revision) (increase(faultline_events_total{{{SELR},verdict=~"(?i)(in)?correct"}}[$__range]))', "")],
        w=12, h=10, unit="percentunit", instant=True, options={"showHeader": True})
d.panel("timeseries", "Accuracy over time by benchmark and revision", "correct / scored in sliding 30 min windows.",
        [(f'sum by (benchmark, revision) (rate(faultline_events_total{{{SELR},verdict=~"(?i)correct"}}[30m])) / sum by (benchmark, revision) (rate(faultline_events_total{{{SELR},verdict=~"(?i)(in)?correct"}}[30m]))', "{{benchmark}} {{revision}}")],
        w=12, h=10, unit="percentunit", options=TS)
d.panel("timeseries", "Failure ratio: revision vs the model's other revisions (6 h)", "The recording rules behind FaultlineRevisionFailureRateJump.",
        [(f'faultline:revision_failure_ratio:6h{{{SELR}}}', "{{benchmark}} {{revision}}"),
         (f'faultline:revision_failure_ratio_others:6h{{{SELR}}}', "others than {{revision}} ({{benchmark}})")],
        w=24, h=8, unit="percentunit", options=TS)
d.write("grafana/dashboards/faultline-run-health.json")

# ---------------------------------------------------------------- attribution
d = Dash("faultline-attribution", "Faultline / Attribution", "The attribution workers: latency by phase, backlog, cache, coverage, logit differences and faithfulness.", V)
d.row("Workers")
d.panel("timeseries", "Latency by phase (p95)", "95th percentile of faultline_attribution_seconds per phase (tokenize, forward, backward, faithfulness, total).",
        [(f'histogram_quantile(0.95, sum by (le, phase) (rate(faultline_attribution_seconds_bucket[{RI}])))', "p95 {{phase}}")], unit="s", options=TS)
d.panel("timeseries", "Mean latency by phase", "Mean seconds per attribution and phase.",
        [(f'sum by (phase) (rate(faultline_attribution_seconds_sum[{RI}])) / sum by (phase) (rate(faultline_attribution_seconds_count[{RI}]))', "{{phase}}")], unit="s", options=TS)
d.panel("timeseries", "Attributions/s by status", "Results per second by status (ATTRIBUTED, NO_CONTRAST, LOW_LOGIT_DIFF, ...).",
        [(f'sum by (status) (rate(faultline_attributions_total{{{SELR}}}[{RI}]))', "{{status}}")], unit="reqps", options=TS)
d.panel("timeseries", "Backlog: queued jobs and consumer lag", "Jobs queued inside the workers and the Kafka consumer lag per topic (KEDA scales workers on the lag of attribution.jobs).",
        [('sum by (instance) (faultline_jobs_queued)', "queued {{instance}}"),
         ('sum by (client_id) (kafka_consumer_fetch_manager_records_lag_max{client_id=~"kafka-consumer-(attribution-jobs|eval-outputs-in).*"})', "max lag {{client_id}}"),
         ('faultline:attribution_backlog', "backlog (alert rule)")], unit="short", options=TS)
d.panel("timeseries", "Cache hit ratio", "Redis lookups by content key that found a result.",
        [(f'sum(rate(faultline_cache_requests_total{{result=~"(?i)hit"}}[{RI}])) / sum(rate(faultline_cache_requests_total[{RI}]))', "hit ratio"),
         (f'sum(rate(faultline_cache_requests_total{{result=~"(?i)error"}}[{RI}])) / sum(rate(faultline_cache_requests_total[{RI}]))', "error ratio")],
        unit="percentunit", options=TS)
d.panel("timeseries", "Contrast coverage", "Attributed / failures that reached pair selection, last hour, per benchmark and revision (alert: FaultlineContrastCoverageCollapsed); and the coverage gauge of each worker process.",
        [(f'faultline:contrast_coverage:ratio1h{{{SELR}}}', "{{benchmark}} {{revision}}"),
         ('faultline_contrast_coverage', "worker {{instance}}")], unit="percentunit", options=TS)
d.panel("timeseries", "Event to triage lag (p50, p99)", "Time from an event record's timestamp (the producer's send) to triage receiving it: the Kafka hop every result waits for, cache hits included (faultline_ingest_lag_seconds).",
        [(f'histogram_quantile(0.5, sum by (le) (rate(faultline_ingest_lag_seconds_bucket[{RI}])))', "p50"),
         (f'histogram_quantile(0.99, sum by (le) (rate(faultline_ingest_lag_seconds_bucket[{RI}])))', "p99")], unit="s", options=TS)
d.row("Explanations")
d.panel("heatmap", "Δℓ distribution", "logit(wrong) − logit(contrast) at the error position (LOW_LOGIT_DIFF below min-logit-diff).",
        [(f'sum by (le) (increase(faultline_logit_diff_bucket[{RI}]))', "{{le}}")],
        options={"calculate": False, "yAxis": {"axisPlacement": "left"}, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges"}})
d.panel("timeseries", "Informative share", "Share of attributions whose top-k ablation beats random ablation by the margin (faithfulness).",
        [(f'sum(rate(faultline_attribution_informative_total{{informative="true"}}[{RI}])) / sum(rate(faultline_attribution_informative_total[{RI}]))', "informative")],
        unit="percentunit", options=TS)
d.panel("timeseries", "Segment relevance share", "Share of the summed relevance per prompt segment.",
        [(f'sum by (segment) (rate(faultline_segment_relevance_sum[{RI}])) / scalar(sum(rate(faultline_segment_relevance_sum[{RI}])))', "{{segment}}")],
        unit="percentunit", options=TS)
d.panel("timeseries", "Conservation residual", "Mean and max |Δℓ − (input + bias + softmax)| (alert: FaultlineConservationResidualHigh).",
        [(f'sum(rate(faultline_conservation_error_sum[{RI}])) / sum(rate(faultline_conservation_error_count[{RI}]))', "mean"),
         ('max(faultline_conservation_error_max)', "max")], unit="short", options=TS)
d.write("grafana/dashboards/faultline-attribution.json")

# ---------------------------------------------------------------- checkpoints
d = Dash("faultline-checkpoints", "Faultline / Checkpoints", "How failures change across training checkpoints (revisions): the live version of the method paper's checkpoint figures (Fig. 6-7).", V)
d.panel("barchart", "Accuracy by revision", "correct / scored per revision over the selected range.",
        [(f'sum by (revision) (increase(faultline_events_total{{{SELR},verdict=~"(?i)correct"}}[$__range])) / sum by (revision) (increase(faultline_events_total{{{SELR},verdict=~"(?i)(in)?correct"}}[$__range]))', "{{revision}}")],
        unit="percentunit", instant=True, options={"orientation": "auto", "showValue": "auto", "xField": "revision", "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"}})
d.panel("barchart", "Segment relevance share by revision", "Share of the summed relevance per prompt segment and revision (instruction, query, context, answer).",
        [(f'sum by (revision, segment) (increase(faultline_segment_relevance_sum{{{SELR}}}[$__range])) / on (revision) group_left sum by (revision) (increase(faultline_segment_relevance_sum{{{SELR}}}[$__range]))', "{{revision}} {{segment}}")],
        unit="percentunit", instant=True, options={"orientation": "auto", "showValue": "auto", "stacking": "normal", "legend": {"showLegend": True, "displayMode": "list", "placement": "bottom"}},
        extra={"transformations": [{"id": "labelsToFields", "options": {"mode": "columns", "valueLabel": "segment"}}]})
d.panel("barchart", "Contrast coverage by revision", "Attributed / failures per revision.",
        [(f'sum by (revision) (increase(faultline_attributions_total{{{SELR},status=~"(?i)attributed"}}[$__range])) / sum by (revision) (increase(faultline_attributions_total{{{SELR},status=~"(?i)attributed|no_contrast|low_logit_diff"}}[$__range]))', "{{revision}}")],
        unit="percentunit", instant=True, options={"orientation": "auto", "showValue": "auto", "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"}})
d.panel("barchart", "Informative share by revision", "Share of attributions that pass the faithfulness check, per revision.",
        [(f'sum by (revision) (increase(faultline_attribution_informative_total{{{SELR},informative="true"}}[$__range])) / sum by (revision) (increase(faultline_attribution_informative_total{{{SELR}}}[$__range]))', "{{revision}}")],
        unit="percentunit", instant=True, options={"orientation": "auto", "showValue": "auto", "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"}})
d.panel("timeseries", "Regressions by benchmark", "Tracked examples a previous revision answered right and this one gets wrong (alert: FaultlineRegressions).",
        [(f'sum by (model, benchmark) (increase(faultline_regressions_total{{model=~"$model",benchmark=~"$benchmark"}}[1h]))', "{{model}} {{benchmark}}")], unit="short", options=TS)
d.panel("timeseries", "Mean Δℓ by revision", "Mean logit difference of the attributed failures per revision.",
        [(f'sum by (revision) (rate(faultline_logit_diff_sum[30m])) / sum by (revision) (rate(faultline_logit_diff_count[30m]))', "{{revision}}")], unit="short", options=TS)
# Across models and benchmarks: the comparison read-model's counters (model label = model@revision, capped at 50
# values like benchmark and segment). Signed mean segment relevance = (toward_wrong - toward_contrast) / count.
CSEL = 'model=~"($model)@.*",benchmark=~"$benchmark"'
d.row("Across models and benchmarks")
d.panel("table", "Accuracy per model and benchmark", "correct / scored per model@revision and benchmark over the selected range (faultline_compare_answers_total, written by the index consumer group).",
        [(f'sum by (model, benchmark) (increase(faultline_compare_answers_total{{{CSEL},verdict="CORRECT"}}[$__range])) / sum by (model, benchmark) (increase(faultline_compare_answers_total{{{CSEL}}}[$__range]))', "")],
        w=8, h=10, unit="percentunit", instant=True, options={"showHeader": True})
d.panel("table", "Informative share per model and benchmark", "Share of attributed failures whose top-k ablation beats random ablation, per model@revision and benchmark: where attribution is informative, and where not.",
        [(f'sum by (model, benchmark) (increase(faultline_compare_informative_total{{{CSEL},informative="true"}}[$__range])) / sum by (model, benchmark) (increase(faultline_compare_informative_total{{{CSEL}}}[$__range]))', "")],
        w=8, h=10, unit="percentunit", instant=True, options={"showHeader": True})
d.panel("barchart", "Mean normalised segment relevance per model and benchmark", "Mean normalised relevance per segment over the attributed failures (positive: toward the wrong token), per model@revision and benchmark.",
        [(f'((sum by (model, benchmark, segment) (increase(faultline_compare_segment_relevance_total{{{CSEL},direction="toward_wrong"}}[$__range])) or 0 * sum by (model, benchmark, segment) (increase(faultline_compare_segment_results_total{{{CSEL}}}[$__range]))) - (sum by (model, benchmark, segment) (increase(faultline_compare_segment_relevance_total{{{CSEL},direction="toward_contrast"}}[$__range])) or 0 * sum by (model, benchmark, segment) (increase(faultline_compare_segment_results_total{{{CSEL}}}[$__range])))) / sum by (model, benchmark, segment) (increase(faultline_compare_segment_results_total{{{CSEL}}}[$__range]))', "{{model}} {{benchmark}} {{segment}}")],
        w=8, h=10, unit="short", instant=True, options={"orientation": "auto", "showValue": "auto", "legend": {"showLegend": True, "displayMode": "list", "placement": "bottom"}})
d.write("grafana/dashboards/faultline-checkpoints.json")
