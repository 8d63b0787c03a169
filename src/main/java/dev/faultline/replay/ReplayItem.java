package dev.faultline.replay;

import dev.faultline.contract.EvalOutput;

/**
 * One record read from a replay file: the event it became, or why it could not be read.
 *
 * @param line  the 1-based line where the record starts
 * @param event the event, or null when {@code error} is set
 * @param error what was wrong with the record, or null
 */
public record ReplayItem(int line, EvalOutput event, String error) {

    public static ReplayItem ok(int line, EvalOutput event) {
        return new ReplayItem(line, event, null);
    }

    public static ReplayItem bad(int line, String error) {
        return new ReplayItem(line, null, error);
    }

    public boolean isBad() {
        return error != null;
    }
}
