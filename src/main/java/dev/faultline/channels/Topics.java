package dev.faultline.channels;

/**
 * The Kafka topics of the service, one constant per topic of {@code kafka-topics/topics.yaml} (which declares their
 * partitions and configs). The channels bound to them are in {@link Channels}.
 */
public final class Topics {

    /** Evaluation events as the harness publishes them (key: run id). */
    public static final String EVAL_OUTPUTS = "eval.outputs";
    /** Events that could not be read or validated, with the reason in the record headers. */
    public static final String EVAL_OUTPUTS_DLQ = "eval.outputs.dlq";
    /** Attribution jobs from triage to the workers (key: model, revision and shard). */
    public static final String ATTRIBUTION_JOBS = "attribution.jobs";
    /** Jobs given up after their attempts ran out (unchanged, reasons in the headers). */
    public static final String ATTRIBUTION_JOBS_DLQ = "attribution.jobs.dlq";
    /** One result per incorrect event (compacted, key: event id). */
    public static final String ATTRIBUTION_RESULTS = "attribution.results";
    /** Attribution graphs asked for through the API (compacted). */
    public static final String ATTRIBUTION_GRAPHS = "attribution.graphs";
    /** Work done once per fleet (graphs, re-attributions of tracked failures). */
    public static final String ATTRIBUTION_REQUESTS = "attribution.requests";
    /** Trajectories of tracked failures across revisions (compacted). */
    public static final String ATTRIBUTION_TRAJECTORIES = "attribution.trajectories";

    private Topics() {}
}
