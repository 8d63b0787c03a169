package dev.faultline.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * One example of the demo addition task, every number written least-significant digit first: 347 + 85 is asked as
 * {@code 743+58=} and answered {@code 234}. Also the known cause of a wrong digit: the operand digits at that position
 * and the carry chain below it.
 *
 * @param a first operand, decimal digits, most significant first, no leading zeros
 * @param b second operand, same form
 */
public record AdditionProblem(String a, String b) {

    public AdditionProblem {
        if (!isNumber(a) || !isNumber(b)) {
            throw new IllegalArgumentException(
                    "operands must be decimal numbers without leading zeros: " + a + ", " + b);
        }
    }

    private static boolean isNumber(String s) {
        return s != null
                && !s.isEmpty()
                && s.chars().allMatch(Character::isDigit)
                && (s.length() == 1 || s.charAt(0) != '0');
    }

    /** The text the model is given, operands reversed: {@code 743+58=} for 347 + 85. */
    public String prompt() {
        return new StringBuilder(a).reverse() + "+" + new StringBuilder(b).reverse() + "=";
    }

    /** The expected output: the sum written least-significant digit first ({@code 347+85} gives {@code 234}). */
    public String answer() {
        int n = answerLength();
        StringBuilder sb = new StringBuilder(n);
        int carry = 0;
        for (int i = 0; i < n; i++) {
            int s = digitA(i) + digitB(i) + carry;
            sb.append((char) ('0' + s % 10));
            carry = s / 10;
        }
        return sb.toString();
    }

    private int answerLength() {
        int max = maxDigits();
        int carry = 0;
        for (int i = 0; i < max; i++) {
            carry = (digitA(i) + digitB(i) + carry) / 10;
        }
        return carry > 0 ? max + 1 : max;
    }

    /** The length of the longer operand: the difficulty bucket of the accuracy table. */
    public int maxDigits() {
        return Math.max(a.length(), b.length());
    }

    /** Stable example id, e.g. {@code addition/347+85}. */
    public String exampleId() {
        return "addition/" + a + "+" + b;
    }

    /** Digit {@code i} of {@code a} counted from the least significant (0 beyond its length). */
    public int digitA(int i) {
        return i < a.length() ? a.charAt(a.length() - 1 - i) - '0' : 0;
    }

    /** Digit {@code i} of {@code b} counted from the least significant (0 beyond its length). */
    public int digitB(int i) {
        return i < b.length() ? b.charAt(b.length() - 1 - i) - '0' : 0;
    }

    /** Character index in {@link #prompt()} of digit {@code i} of {@code a}, or -1 when {@code a} has no such digit. */
    public int charIndexA(int i) {
        return i >= 0 && i < a.length() ? i : -1;
    }

    /** Character index in {@link #prompt()} of digit {@code i} of {@code b}, or -1 when {@code b} has no such digit. */
    public int charIndexB(int i) {
        return i >= 0 && i < b.length() ? a.length() + 1 + i : -1;
    }

    /**
     * The first answer position (index into the output) where {@code output} departs from {@link #answer()}, or -1
     * when they are equal. A missing or extra digit counts at the end of the shorter one.
     */
    public int firstErrorPosition(String output) {
        String ref = answer();
        int n = Math.min(ref.length(), output.length());
        for (int i = 0; i < n; i++) {
            if (ref.charAt(i) != output.charAt(i)) {
                return i;
            }
        }
        return ref.length() == output.length() ? -1 : n;
    }

    /**
     * The known cause of answer digit {@code position}: the operand digits at that position and the carry chain below
     * it. The carry into position i is decided by digit i-1 unless its digit sum is exactly 9 (it then passes the
     * carry from i-2 on), and so on down: the chain is i-1, i-2, ... down to the first position whose digit sum is not
     * 9 (or to position 0).
     */
    public DigitCause cause(int position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0: " + position);
        }
        List<Integer> chain = new ArrayList<>();
        for (int j = position - 1; j >= 0; j--) {
            chain.add(j);
            if (digitA(j) + digitB(j) != 9) {
                break;
            }
        }
        int lowest = chain.isEmpty() ? position : chain.get(chain.size() - 1);
        return new DigitCause(
                position,
                chain,
                spanOf(a.length(), 0, lowest, position),
                spanOf(b.length(), a.length() + 1, lowest, position));
    }

    /**
     * Characters of an operand (starting at {@code offset}, written least-significant digit first) holding digit
     * positions {@code low..high}, or null.
     */
    private static int[] spanOf(int length, int offset, int low, int high) {
        int hi = Math.min(high, length - 1);
        if (low > hi) {
            return null;
        }
        return new int[] {offset + low, offset + hi + 1};
    }

    /** The known cause of every digit of {@link #answer()}, position 0 (least significant) first. */
    public List<DigitCause> causes() {
        List<DigitCause> out = new ArrayList<>();
        for (int i = 0; i < answer().length(); i++) {
            out.add(cause(i));
        }
        return out;
    }

    /**
     * The cause of one answer digit.
     *
     * @param position   the answer digit (0 = least significant)
     * @param carryChain the lower digit positions that decide the carry into {@code position}, nearest first
     * @param spanA      prompt characters {@code [start, end)} of operand a holding the cause digits, or null
     * @param spanB      same for operand b, or null
     */
    public record DigitCause(int position, List<Integer> carryChain, int[] spanA, int[] spanB) {

        /** Whether prompt character {@code index} holds a cause digit. */
        public boolean contains(int index) {
            return (spanA != null && index >= spanA[0] && index < spanA[1])
                    || (spanB != null && index >= spanB[0] && index < spanB[1]);
        }
    }
}
