package dev.faultline.demo;

import dev.faultline.contract.AttributionResult;
import dev.faultline.contract.AttributionStatus;
import dev.faultline.store.RunIndex;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Prints one console line per attributed failure of the demo model as the run index takes it in, e.g.
 * {@code ATTRIBUTED faultline-demo addition/347+85: wrong '3' vs '2' Δℓ=2.41 top token '7'@3 (cause) informative}:
 * the most relevant input token (special and first tokens left out), its index, and whether it lies in the failure's
 * known cause (for events this process's demo run published).
 */
@ApplicationScoped
public class DemoConsole implements RunIndex.Listener {

    private static final Logger LOG = Logger.getLogger(DemoConsole.class);
    private static final int KEEP = 200;

    @Inject
    DemoConfig config;

    @Inject
    DemoRuns runs;

    private final Deque<String> recent = new ArrayDeque<>();

    @Override
    public void indexed(AttributionResult result, RunIndex.EventSummary summary) {
        if (result.status() != AttributionStatus.ATTRIBUTED
                || result.model() == null
                || !config.model().equals(result.model().name())) {
            return;
        }
        String line = line(result, runs.cause(result.eventId()));
        LOG.info(line);
        synchronized (recent) {
            recent.addLast(line);
            if (recent.size() > KEEP) {
                recent.removeFirst();
            }
        }
    }

    /** The last lines printed (at most 200), oldest first. */
    public List<String> recentLines() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** The console line of an attributed result; {@code cause} (may be null) marks whether the top token is in it. */
    public static String line(AttributionResult r, AdditionProblem.DigitCause cause) {
        StringBuilder sb = new StringBuilder("ATTRIBUTED ")
                .append(r.model().name())
                .append(' ')
                .append(r.exampleId());
        if (r.target() != null) {
            sb.append(String.format(
                    Locale.ROOT,
                    ": wrong '%s' vs '%s' Δℓ=%.2f",
                    r.target().wrong().text(),
                    r.target().contrast().text(),
                    r.target().logitDiff()));
        }
        List<AttributionResult.Token> tokens = r.tokens();
        int top = -1;
        if (tokens != null) {
            for (int i = 1; i < tokens.size(); i++) {
                if (!tokens.get(i).special()
                        && (top < 0
                                || tokens.get(i).relevance() > tokens.get(top).relevance())) {
                    top = i;
                }
            }
        }
        if (top >= 0) {
            AttributionResult.Token t = tokens.get(top);
            sb.append(" top token '").append(t.text()).append("'@").append(top);
            if (cause != null) {
                sb.append(cause.contains(t.start()) ? " (cause)" : " (not cause)");
            } else if (t.segment() != null) {
                sb.append(" (").append(t.segment()).append(')');
            }
        }
        if (r.faithfulness() != null) {
            sb.append(r.faithfulness().informative() ? " informative" : " not informative");
        }
        return sb.toString();
    }
}
