package dev.faultline.api.ui;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import java.util.List;

/** The web view's type-checked Qute templates, under {@code src/main/resources/templates/ui/}. */
@CheckedTemplate(basePath = "ui")
public final class UiTemplates {

    private UiTemplates() {}

    public static native TemplateInstance runs(List<RunRow> runs, long version, List<Link> models);

    public static native TemplateInstance run(RunPageView view);

    public static native TemplateInstance failure(FailureView view);

    public static native TemplateInstance model(ModelView view, TrackingSection tracking, BenchmarksSection benchmarks);

    public static native TemplateInstance compare(CompareView view, CompareView.Form form);

    public static native TemplateInstance missing(String title, String message, String back, String backLabel);
}
