package dev.faultline.engine;

import java.util.Arrays;

/**
 * Greedy continuation of a prompt as an evaluation harness produces it: the prompt with the model's special tokens
 * (BOS), then the arg-max token of each next logit row until a special token (EOS) or {@code maxTokens}; the output is
 * the tokens' texts joined (a decode would strip the first token's leading space).
 */
public final class GreedyDecoder {

    /** The logit row that predicts the token following {@code ids}. */
    @FunctionalInterface
    public interface NextLogits {
        double[] after(int[] ids) throws InterruptedException;
    }

    private GreedyDecoder() {}

    /** The greedy output for {@code prompt}, at most {@code maxTokens} tokens. */
    public static String continuation(TextTokenizer tokenizer, String prompt, int maxTokens, NextLogits next)
            throws InterruptedException {
        int[] ids = tokenizer.encode(prompt, true).ids();
        StringBuilder out = new StringBuilder();
        for (int step = 0; step < maxTokens; step++) {
            int best = argmax(next.after(ids));
            if (tokenizer.isSpecial(best)) {
                break;
            }
            out.append(tokenizer.tokenText(best));
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = best;
        }
        return out.toString();
    }

    /** Index of the largest value (the first one on ties). */
    public static int argmax(double[] row) {
        int best = 0;
        for (int v = 1; v < row.length; v++) {
            if (row[v] > row[best]) {
                best = v;
            }
        }
        return best;
    }
}
