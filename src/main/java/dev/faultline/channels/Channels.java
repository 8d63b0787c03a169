package dev.faultline.channels;

/**
 * The SmallRye Reactive Messaging channels of the service, named as in {@code application.properties}
 * ({@code mp.messaging.incoming.<name>} / {@code mp.messaging.outgoing.<name>}); the comment of each names its topic.
 */
public final class Channels {

    /** Incoming {@code eval.outputs}: triage (consumer group {@code faultline-triage}). */
    public static final String EVAL_OUTPUTS_IN = "eval-outputs-in";
    /** Outgoing {@code eval.outputs}: events posted to the REST API and the demo run. */
    public static final String EVAL_OUTPUTS_OUT = "eval-outputs-out";
    /** Outgoing {@code eval.outputs.dlq}. */
    public static final String EVAL_OUTPUTS_DLQ = "eval-outputs-dlq";
    /** Outgoing {@code attribution.jobs}: triage hands failures with a contrast pair to the workers. */
    public static final String ATTRIBUTION_JOBS_OUT = "attribution-jobs-out";
    /** Incoming {@code attribution.jobs}: the attribution worker (group {@code faultline-worker}). */
    public static final String ATTRIBUTION_JOBS_IN = "attribution-jobs";
    /** Outgoing {@code attribution.jobs.dlq}: jobs the worker gave up on after their attempts. */
    public static final String ATTRIBUTION_JOBS_DLQ = "attribution-jobs-dlq";
    /** Outgoing {@code attribution.results}. */
    public static final String ATTRIBUTION_RESULTS_OUT = "attribution-results-out";
    /** Incoming {@code attribution.results}: the run index (group {@code faultline-index}). */
    public static final String ATTRIBUTION_RESULTS_INDEX = "attribution-results-index";
    /** Incoming {@code attribution.results}: live updates of the web view (one group per process, latest only). */
    public static final String ATTRIBUTION_RESULTS_LIVE = "attribution-results-live";
    /** Incoming {@code attribution.results}: failure tracking across revisions (group {@code faultline-tracking}). */
    public static final String ATTRIBUTION_RESULTS_TRACKING = "attribution-results-tracking";
    /** Outgoing {@code attribution.graphs}. */
    public static final String ATTRIBUTION_GRAPHS_OUT = "attribution-graphs-out";
    /** Incoming {@code attribution.requests}: workers only (group {@code faultline-requests}). */
    public static final String ATTRIBUTION_REQUESTS_IN = "attribution-requests";
    /** Outgoing {@code attribution.requests}: every role. */
    public static final String ATTRIBUTION_REQUESTS_OUT = "attribution-requests-out";
    /** Outgoing {@code attribution.trajectories}. */
    public static final String ATTRIBUTION_TRAJECTORIES_OUT = "attribution-trajectories-out";

    private Channels() {}
}
