package dev.faultline.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.faultline.engine.arch.Pass;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.model.HfLanguageModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One attribution pass: forward with the rules and probes, one backward of the target, relevance = tensor ⊙
 * gradient read from the probes, then the optional faithfulness check. Runs on the engine's single worker thread,
 * each pass inside its own {@link NDScope} and sub-manager so nothing outlives it.
 */
final class Attributor {

    private Attributor() {
    }

    /** Logits at every position, [T][V]. */
    static float[][] logits(HfLanguageModel m, int[] ids) {
        m.checkIds(ids);
        Transformer tr = m.transformer();
        try (NDScope scope = new NDScope(); NDManager pm = m.manager().newSubManager()) {
            NDArray x = tr.embed(pm, ids).expandDims(0);
            NDArray logits = tr.logits(Pass.inference(pm), x, -1).toType(DataType.FLOAT32, false);
            float[] flat = logits.toFloatArray();
            int v = m.config().vocabSize();
            float[][] out = new float[ids.length][v];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * v, out[t], 0, v);
            }
            return out;
        }
    }

    /** Logits at one position, [V]. */
    static double[] logitsAt(HfLanguageModel m, int[] ids, int position) {
        m.checkIds(ids);
        int pos = position < 0 ? ids.length + position : position;
        if (pos < 0 || pos >= ids.length) {
            throw new IllegalArgumentException("position " + position + " is outside the input of " + ids.length);
        }
        Transformer tr = m.transformer();
        try (NDScope scope = new NDScope(); NDManager pm = m.manager().newSubManager()) {
            NDArray x = tr.embed(pm, ids).expandDims(0);
            return tr.logits(Pass.inference(pm), x, pos).toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    static Attribution attribute(HfLanguageModel m, AttributionRequest r) {
        int[] ids = r.ids();
        m.checkIds(ids);
        int t = ids.length;
        int pos = r.resolvedPosition();
        if (pos < 0 || pos >= t) {
            throw new IllegalArgumentException("position " + r.position() + " is outside the input of " + t);
        }
        int vocab = m.config().vocabSize();
        if (r.wrong() < 0 || r.wrong() >= vocab || r.correct() != null && (r.correct() < 0 || r.correct() >= vocab)) {
            throw new IllegalArgumentException("wrong/correct ids must be in [0, " + vocab + ")");
        }
        if (r.correct() != null && r.correct() == r.wrong()) {
            throw new IllegalArgumentException("wrong and correct are the same token " + r.wrong());
        }
        Method method = r.method() == null ? Method.ATTNLRP : r.method();
        SoftmaxRule softmax = r.softmax() == null ? SoftmaxRule.ATTNLRP : r.softmax();
        boolean rules = method == Method.ATTNLRP;
        int layers = m.config().numLayers();
        Transformer tr = m.transformer();
        Map<String, Double> timings = new LinkedHashMap<>();
        try (NDScope scope = new NDScope(); NDManager pm = m.manager().newSubManager()) {
            long t0 = System.nanoTime();
            Pass p = new Pass(pm, rules, softmax == SoftmaxRule.DETACH, true);
            NDArray emb = tr.embed(pm, ids);
            emb.setRequiresGradient(true);
            NDArray logits;
            long t1;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                logits = tr.logits(p, emb.expandDims(0), pos).squeeze(0);
                NDArray target = r.correct() == null ? logits.get(r.wrong())
                        : logits.get(r.wrong()).sub(logits.get(r.correct()));
                t1 = System.nanoTime();
                gc.backward(target);
            }
            long t2 = System.nanoTime();
            timings.put("forward", (t1 - t0) / 1e6);
            timings.put("backward", (t2 - t1) / 1e6);

            // every relevance as one float64 vector, fetched with a single copy
            List<NDArray> parts = new ArrayList<>();
            parts.add(rowSum(emb, grad(emb)));
            boolean gpt2 = p.positionLeaf != null;
            if (gpt2) {
                parts.add(rowSum(p.positionLeaf, grad(p.positionLeaf)));
            }
            // probes of one shape are stacked so the read-out costs a handful of native calls, not a few per layer
            List<Pass.Probe> stream = new ArrayList<>(p.layerInputs);
            stream.addAll(p.postAttention);
            parts.add(stackedRowSums(stream));
            parts.add(stackedTotals(p.queries));
            parts.add(stackedTotals(p.attentionOutputs));
            for (Pass.BiasLeaf b : p.biases) {
                parts.add(total(b.leaf(), grad(b.leaf())));
            }
            parts.add(logits.toType(DataType.FLOAT64, false).flatten());
            double[] all = NDArrays.concat(new NDList(parts)).toDoubleArray();

            int at = 0;
            double[] input = slice(all, at, t);
            at += t;
            double[] position = null;
            if (gpt2) {
                position = slice(all, at, t);
                at += t;
            }
            double[][] layerIn = new double[layers + 1][];
            for (int l = 0; l <= layers; l++, at += t) {
                layerIn[l] = slice(all, at, t);
            }
            double[][] postAttn = new double[layers][];
            for (int l = 0; l < layers; l++, at += t) {
                postAttn[l] = slice(all, at, t);
            }
            double[] softIn = new double[layers];
            double[] softOut = new double[layers];
            double productShare = rules ? 0.5 : 1.0; // each factor's share of a product's gradient
            for (int l = 0; l < layers; l++) {
                // Σ s⊙∂s over the scores = Σ q⊙∂q / share (q only feeds the scores)
                double v = all[at++];
                softIn[l] = softmax == SoftmaxRule.DETACH ? 0 : v / productShare;
            }
            for (int l = 0; l < layers; l++) {
                // Σ A⊙∂A = share · Σ O⊙∂O for O = A·V (bilinear)
                double v = all[at++];
                softOut[l] = softmax == SoftmaxRule.DETACH ? 0 : v * productShare;
            }
            double[] biasPerLayer = new double[layers + 1];
            for (Pass.BiasLeaf b : p.biases) {
                biasPerLayer[b.group()] += all[at++];
            }
            double[] logitRow = slice(all, at, vocab);

            double[] softAbsorbed = new double[layers];
            double softTotal = 0;
            for (int l = 0; l < layers; l++) {
                softAbsorbed[l] = softOut[l] - softIn[l];
                softTotal += softAbsorbed[l];
            }
            double biasTotal = sum(biasPerLayer) + (position == null ? 0 : sum(position));
            double logitWrong = logitRow[r.wrong()];
            Double logitCorrect = r.correct() == null ? null : logitRow[r.correct()];
            double diff = logitCorrect == null ? logitWrong : logitWrong - logitCorrect;
            double residual = diff - sum(input) - biasTotal - softTotal;
            int rank = -1;
            if (logitCorrect != null) {
                rank = 1;
                for (double v : logitRow) {
                    if (v > logitCorrect) {
                        rank++;
                    }
                }
            }
            List<TokenLogit> top = topTokens(m, logitRow, Math.max(0, r.topK()));

            Faithfulness faith = null;
            if (r.faithfulnessK() > 0) {
                long f0 = System.nanoTime();
                faith = faithfulness(m, pm, ids, pos, r, input, diff);
                timings.put("faithfulness", (System.nanoTime() - f0) / 1e6);
            }
            return new Attribution(pos, r.wrong(), r.correct(), logitWrong, logitCorrect, diff, rank, input,
                    position, layerIn, postAttn, layerIn[layers].clone(), biasTotal, biasPerLayer, softTotal,
                    softAbsorbed, residual, top, faith, timings, method, softmax, m.dtype(), m.device());
        }
    }

    private static Faithfulness faithfulness(HfLanguageModel m, NDManager pm, int[] ids, int pos,
            AttributionRequest r, double[] relevance, double diff) {
        List<Integer> eligible = new ArrayList<>();
        for (int i = 1; i <= pos; i++) {
            if (!(m.hasTokenizer() && m.tokenizer().isSpecial(ids[i]))) {
                eligible.add(i);
            }
        }
        int k = Math.min(r.faithfulnessK(), eligible.size());
        if (k == 0) {
            return null;
        }
        List<Integer> byRelevance = new ArrayList<>(eligible);
        byRelevance.sort((a, b) -> Double.compare(relevance[b], relevance[a]));
        List<Integer> shuffled = new ArrayList<>(eligible);
        Collections.shuffle(shuffled, new Random(r.seed()));
        int[] top = byRelevance.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] random = shuffled.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
        // positions after the target cannot change its logits (causal attention): the copies stop at the target
        int t = pos + 1;
        float[] keep = new float[2 * t];
        java.util.Arrays.fill(keep, 1f);
        for (int i : top) {
            keep[i] = 0f;
        }
        for (int i : random) {
            keep[t + i] = 0f;
        }
        Transformer tr = m.transformer();
        NDArray emb = tr.embed(pm, t == ids.length ? ids : java.util.Arrays.copyOf(ids, t));
        NDArray mask = pm.create(keep, new Shape(2, t, 1)).toType(emb.getDataType(), false);
        NDArray logits = tr.logits(Pass.inference(pm), emb.expandDims(0).mul(mask), pos);
        int w = r.wrong();
        NDArray wrongCol = logits.get(":, {}", w);
        NDArray diffs = r.correct() == null ? wrongCol : wrongCol.sub(logits.get(":, {}", r.correct()));
        double[] d = diffs.toType(DataType.FLOAT64, false).toDoubleArray();
        double dropTop = diff - d[0];
        double dropRandom = diff - d[1];
        return new Faithfulness(k, dropTop, dropRandom, r.margin(), dropTop - dropRandom > r.margin(), top, random);
    }

    /** Δℓ (or the wrong logit) at {@code pos} with the token embeddings at {@code zeroed} set to zero; for checks. */
    static double targetWithZeroed(HfLanguageModel m, int[] ids, int pos, int wrong, Integer correct, int[] zeroed) {
        Transformer tr = m.transformer();
        try (NDScope scope = new NDScope(); NDManager pm = m.manager().newSubManager()) {
            float[] keep = new float[ids.length];
            java.util.Arrays.fill(keep, 1f);
            for (int i : zeroed) {
                keep[i] = 0f;
            }
            NDArray emb = tr.embed(pm, ids);
            NDArray mask = pm.create(keep, new Shape(1, ids.length, 1)).toType(emb.getDataType(), false);
            double[] l = tr.logits(Pass.inference(pm), emb.expandDims(0).mul(mask), pos)
                    .toType(DataType.FLOAT64, false).toDoubleArray();
            return correct == null ? l[wrong] : l[wrong] - l[correct];
        }
    }

    private static List<TokenLogit> topTokens(HfLanguageModel m, double[] logits, int k) {
        k = Math.min(k, logits.length);
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
        List<TokenLogit> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            int id = order[i];
            out.add(new TokenLogit(id, m.hasTokenizer() ? m.tokenizer().tokenText(id) : null, logits[id]));
        }
        return out;
    }

    private static NDArray grad(NDArray leaf) {
        try {
            return leaf.getGradient();
        } catch (IllegalStateException | NullPointerException e) { // not on the target's path: zero gradient
            return leaf.zerosLike();
        }
    }

    /**
     * Σ over the last axis of value ⊙ gradient, in float64, for each probe [1, T, D]: all rows, flattened. One probe
     * at a time, each product's temporaries closed at once, so the read-out holds a few [T, D] arrays, not every
     * probe's product at once.
     */
    private static NDArray stackedRowSums(List<Pass.Probe> probes) {
        NDList rows = new NDList();
        for (Pass.Probe probe : probes) {
            try (NDScope scope = new NDScope()) {
                NDArray r = rowSum(probe.value(), grad(probe.leaf()));
                NDScope.unregister(r);
                rows.add(r);
            }
        }
        return NDArrays.concat(rows);
    }

    /** Σ of value ⊙ gradient per probe, in float64: one value per probe. */
    private static NDArray stackedTotals(List<Pass.Probe> probes) {
        NDList totals = new NDList();
        for (Pass.Probe probe : probes) {
            try (NDScope scope = new NDScope()) {
                NDArray r = total(probe.value(), grad(probe.leaf()));
                NDScope.unregister(r);
                totals.add(r);
            }
        }
        return NDArrays.concat(totals);
    }

    private static NDArray rowSum(NDArray value, NDArray grad) {
        NDArray r = value.toType(DataType.FLOAT64, false).mul(grad.toType(DataType.FLOAT64, false)).sum(new int[] {value.getShape().dimension() - 1});
        return r.flatten();
    }

    private static NDArray total(NDArray value, NDArray grad) {
        return value.toType(DataType.FLOAT64, false).mul(grad.toType(DataType.FLOAT64, false)).sum().reshape(1);
    }

    private static double[] slice(double[] a, int from, int n) {
        return java.util.Arrays.copyOfRange(a, from, from + n);
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }
}
