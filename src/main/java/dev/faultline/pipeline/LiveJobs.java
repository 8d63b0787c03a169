package dev.faultline.pipeline;

/**
 * Whether this process's attribution worker has live jobs: work that must not wait behind low-priority engine use
 * (re-attribution of tracked failures, which starts only while {@link #inFlight()} stays 0).
 */
public interface LiveJobs {

    /** Attribution jobs taken from {@code attribution.jobs} by this worker and not finished yet. */
    int inFlight();
}
