package dev.faultline.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.faultline.engine.arch.NativeHeap;
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

    private Attributor() {}

    /**
     * Told at each phase boundary of the attribution pass it is given to; for measurements ({@code
     * PassPhasesBench}).
     */
    interface PhaseListener {
        /** The listener of a pass whose caller gives none: no calls. */
        PhaseListener NONE = (name, passManager, pass) -> {};

        /**
         * Phase {@code name} begins ("forward", "backward", "read-out", "faithfulness", then "end") in the pass
         * whose arrays {@code passManager} owns and whose probes and leaves {@code pass} holds.
         */
        void phase(String name, NDManager passManager, Pass pass);
    }

    /** Logits at every position, [T][V]. */
    static float[][] logits(HfLanguageModel m, int[] ids) {
        m.checkIds(ids);
        Transformer tr = m.transformer();
        try (NDScope scope = new NDScope();
                NDManager pm = m.manager().newSubManager()) {
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
        try (NDScope scope = new NDScope();
                NDManager pm = m.manager().newSubManager()) {
            NDArray x = tr.embed(pm, ids).expandDims(0);
            return tr.logits(Pass.inference(pm), x, pos)
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray();
        }
    }

    static Attribution attribute(HfLanguageModel m, AttributionRequest r) {
        return attribute(m, r, PhaseListener.NONE);
    }

    /** One attribution whose pass tells {@code phases} where it is. */
    static Attribution attribute(HfLanguageModel m, AttributionRequest r, PhaseListener phases) {
        return attributeBatch(m, List.of(r), phases).get(0);
    }

    /**
     * Attributions of several requests of the same method and softmax rule in one padded pass: the inputs are
     * right-padded to the longest (causal attention keeps padding out of every real position), one backward pass of
     * the summed targets gives each example its own relevance (examples do not interact: norms are per token,
     * attention per sequence), and biases get a leaf per example so that what they absorb splits too. Faithfulness
     * runs for all examples in one batched forward. Equal to one pass per request up to summation order.
     */
    static List<Attribution> attributeBatch(HfLanguageModel m, List<AttributionRequest> rs) {
        return attributeBatch(m, rs, PhaseListener.NONE);
    }

    private static List<Attribution> attributeBatch(
            HfLanguageModel m, List<AttributionRequest> rs, PhaseListener phases) {
        int longest = rs.stream().mapToInt(r -> r.ids().length).max().orElse(0);
        boolean large = rs.size() * PassMemory.attributionBytes(m, longest) >= NativeHeap.TRIM_AFTER_BYTES;
        try {
            // a large pass trims its heap 4 times during the forward (bench/RESULTS.md: 0.6B shape at 512 tokens,
            // peak resident 5.26 -> 4.68 GiB at the same attribution time; after every layer: +10 % time)
            return attributeInPass(m, rs, large ? (m.config().numLayers() + 3) / 4 : 0, phases);
        } finally {
            if (large) { // the pass's arrays are closed: give their pages back
                NativeHeap.trim();
            }
        }
    }

    private static List<Attribution> attributeInPass(
            HfLanguageModel m, List<AttributionRequest> rs, int trimEvery, PhaseListener phases) {
        if (rs.isEmpty()) {
            return List.of();
        }
        Method method = rs.get(0).method() == null ? Method.ATTNLRP : rs.get(0).method();
        SoftmaxRule softmax =
                rs.get(0).softmax() == null ? SoftmaxRule.ATTNLRP : rs.get(0).softmax();
        int n = rs.size();
        int vocab = m.config().vocabSize();
        int[] pos = new int[n];
        int tMax = 0;
        for (int e = 0; e < n; e++) {
            AttributionRequest r = rs.get(e);
            if ((r.method() == null ? Method.ATTNLRP : r.method()) != method
                    || (r.softmax() == null ? SoftmaxRule.ATTNLRP : r.softmax()) != softmax) {
                throw new IllegalArgumentException("a batch needs one method and one softmax rule");
            }
            m.checkIds(r.ids());
            pos[e] = r.resolvedPosition();
            if (pos[e] < 0 || pos[e] >= r.ids().length) {
                throw new IllegalArgumentException(
                        "position " + r.position() + " is outside the input of " + r.ids().length);
            }
            if (r.wrong() < 0
                    || r.wrong() >= vocab
                    || r.correct() != null && (r.correct() < 0 || r.correct() >= vocab)) {
                throw new IllegalArgumentException("wrong/correct ids must be in [0, " + vocab + ")");
            }
            if (r.correct() != null && r.correct().intValue() == r.wrong()) {
                throw new IllegalArgumentException("wrong and correct are the same token " + r.wrong());
            }
            tMax = Math.max(tMax, r.ids().length);
        }
        boolean rules = method == Method.ATTNLRP;
        int layers = m.config().numLayers();
        Transformer tr = m.transformer();
        Map<String, Double> timings = new LinkedHashMap<>();
        try (NDScope scope = new NDScope();
                NDManager pm = m.manager().newSubManager()) {
            long t0 = System.nanoTime();
            Pass p = new Pass(pm, rules, softmax == SoftmaxRule.DETACH, true, n).trimEvery(trimEvery);
            int[] padded = new int[n * tMax]; // right-padded with the first example's first token
            for (int e = 0; e < n; e++) {
                int[] ids = rs.get(e).ids();
                System.arraycopy(ids, 0, padded, e * tMax, ids.length);
                java.util.Arrays.fill(
                        padded, e * tMax + ids.length, (e + 1) * tMax, rs.get(0).ids()[0]);
            }
            phases.phase("forward", pm, p);
            NDArray emb = tr.embed(pm, padded).reshape(n, tMax, -1);
            emb.setRequiresGradient(true);
            NDArray logits;
            long t1;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                logits = tr.logitsAtRows(p, emb, pos); // [B, V]
                NDArray target = null;
                for (int e = 0; e < n; e++) {
                    AttributionRequest r = rs.get(e);
                    NDArray te = r.correct() == null
                            ? logits.get(e, r.wrong())
                            : logits.get(e, r.wrong()).sub(logits.get(e, r.correct()));
                    target = target == null ? te : target.add(te);
                }
                t1 = System.nanoTime();
                phases.phase("backward", pm, p);
                gc.backward(target);
            }
            long t2 = System.nanoTime();
            phases.phase("read-out", pm, p);
            double perExample = 1.0 / n;
            timings.put("forward", (t1 - t0) / 1e6 * perExample);
            timings.put("backward", (t2 - t1) / 1e6 * perExample);

            // every relevance as one float64 vector, fetched with a single copy; each part is [B, ...] flattened
            List<NDArray> parts = new ArrayList<>();
            parts.add(rowSum(emb, grad(emb))); // [B·T]
            boolean gpt2 = p.positionLeaf != null;
            if (gpt2) {
                parts.add(rowSum(p.positionLeaf, grad(p.positionLeaf)));
            }
            List<Pass.Probe> stream = new ArrayList<>(p.layerInputs);
            stream.addAll(p.postAttention);
            parts.add(stackedRowSums(stream)); // probe-major, then [B·T]
            parts.add(stackedTotals(p.queries, n)); // probe-major, then [B]
            parts.add(stackedTotals(p.attentionOutputs, n));
            for (Pass.BiasLeaf b : p.biases) {
                parts.add(total(b.leaf(), grad(b.leaf()), n));
            }
            parts.add(logits.toType(DataType.FLOAT64, false).flatten()); // [B·V]
            double[] all = NDArrays.concat(new NDList(parts)).toDoubleArray();

            int bt = n * tMax;
            int at = 0;
            int inputAt = at;
            at += bt;
            int positionAt = -1;
            if (gpt2) {
                positionAt = at;
                at += bt;
            }
            int layerInAt = at;
            at += (layers + 1) * bt;
            int postAttnAt = at;
            at += layers * bt;
            int softInAt = at;
            at += layers * n;
            int softOutAt = at;
            at += layers * n;
            int biasAt = at;
            at += p.biases.size() * n;
            int logitsAt = at;

            List<Attribution> out = new ArrayList<>(n);
            double productShare = rules ? 0.5 : 1.0; // each factor's share of a product's gradient
            for (int e = 0; e < n; e++) {
                AttributionRequest r = rs.get(e);
                int t = r.ids().length;
                double[] input = slice(all, inputAt + e * tMax, t);
                double[] position = gpt2 ? slice(all, positionAt + e * tMax, t) : null;
                double[][] layerIn = new double[layers + 1][];
                for (int l = 0; l <= layers; l++) {
                    layerIn[l] = slice(all, layerInAt + l * bt + e * tMax, t);
                }
                double[][] postAttn = new double[layers][];
                for (int l = 0; l < layers; l++) {
                    postAttn[l] = slice(all, postAttnAt + l * bt + e * tMax, t);
                }
                double[] softAbsorbed = new double[layers];
                double softTotal = 0;
                for (int l = 0; l < layers; l++) {
                    // Σ s⊙∂s over the scores = Σ q⊙∂q / share (q only feeds the scores); Σ A⊙∂A = share · Σ O⊙∂O
                    double in = softmax == SoftmaxRule.DETACH ? 0 : all[softInAt + l * n + e] / productShare;
                    double o = softmax == SoftmaxRule.DETACH ? 0 : all[softOutAt + l * n + e] * productShare;
                    softAbsorbed[l] = o - in;
                    softTotal += softAbsorbed[l];
                }
                double[] biasPerLayer = new double[layers + 1];
                for (int i = 0; i < p.biases.size(); i++) {
                    biasPerLayer[p.biases.get(i).group()] += all[biasAt + i * n + e];
                }
                double[] logitRow = slice(all, logitsAt + e * vocab, vocab);
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
                out.add(new Attribution(
                        pos[e],
                        r.wrong(),
                        r.correct(),
                        logitWrong,
                        logitCorrect,
                        diff,
                        rank,
                        input,
                        position,
                        layerIn,
                        postAttn,
                        layerIn[layers].clone(),
                        biasTotal,
                        biasPerLayer,
                        softTotal,
                        softAbsorbed,
                        residual,
                        top,
                        null,
                        new LinkedHashMap<>(timings),
                        method,
                        softmax,
                        m.dtype(),
                        m.device()));
            }
            if (rs.stream().anyMatch(r -> r.faithfulnessK() > 0)) {
                if (trimEvery > 0) { // the backward freed what autograd held: back before the copies allocate
                    NativeHeap.trim();
                }
                phases.phase("faithfulness", pm, p);
                long f0 = System.nanoTime();
                List<Faithfulness> faith = faithfulness(m, pm, p.layerInputs, rs, pos, out);
                double ms = (System.nanoTime() - f0) / 1e6 * perExample;
                for (int e = 0; e < n; e++) {
                    Attribution a = out.get(e);
                    if (faith.get(e) != null || rs.get(e).faithfulnessK() > 0) {
                        a.timingsMs().put("faithfulness", ms);
                    }
                    out.set(e, withFaithfulness(a, faith.get(e)));
                }
            }
            phases.phase("end", pm, p);
            return out;
        }
    }

    private static Attribution withFaithfulness(Attribution a, Faithfulness f) {
        return new Attribution(
                a.position(),
                a.wrong(),
                a.correct(),
                a.logitWrong(),
                a.logitCorrect(),
                a.logitDiff(),
                a.contrastRank(),
                a.inputRelevance(),
                a.positionRelevance(),
                a.layerInputRelevance(),
                a.postAttentionRelevance(),
                a.finalResidualRelevance(),
                a.biasTotal(),
                a.biasPerLayer(),
                a.softmaxAbsorbedTotal(),
                a.softmaxAbsorbedPerLayer(),
                a.identityResidual(),
                a.topTokens(),
                f,
                a.timingsMs(),
                a.method(),
                a.softmax(),
                a.dtype(),
                a.device());
    }

    /**
     * The faithfulness check of every example with k > 0: per example two copies, the k most relevant tokens (after
     * the first, not special) zeroed in one and k random ones (seeded) in the other. A copy equals its example up to
     * its first zeroed position f, so it starts there: positions 0..f-1 enter as keys and values made from the
     * attribution pass's layer inputs ({@code layerInputs}, [B, T, D] per layer; one projection per layer for both
     * copies), and only positions f..target run through the blocks (later tokens cannot change the target's
     * logits), without rules, probes or autograd, to the two target logits alone. Equal, to rounding, to a forward
     * of the whole copy ({@link #targetWithZeroed}).
     */
    private static List<Faithfulness> faithfulness(
            HfLanguageModel m,
            NDManager pm,
            List<Pass.Probe> layerInputs,
            List<AttributionRequest> rs,
            int[] pos,
            List<Attribution> as) {
        List<Faithfulness> out = new ArrayList<>();
        Transformer tr = m.transformer();
        for (int e = 0; e < rs.size(); e++) {
            AttributionRequest r = rs.get(e);
            out.add(null);
            if (r.faithfulnessK() <= 0) {
                continue;
            }
            int[] ids = r.ids();
            double[] relevance = as.get(e).inputRelevance();
            List<Integer> eligible = new ArrayList<>();
            for (int i = 1; i <= pos[e]; i++) {
                if (!(m.hasTokenizer() && m.tokenizer().isSpecial(ids[i]))) {
                    eligible.add(i);
                }
            }
            int k = Math.min(r.faithfulnessK(), eligible.size());
            if (k == 0) {
                continue;
            }
            List<Integer> byRelevance = new ArrayList<>(eligible);
            byRelevance.sort((a, b) -> Double.compare(relevance[b], relevance[a]));
            List<Integer> shuffled = new ArrayList<>(eligible);
            Collections.shuffle(shuffled, new Random(r.seed()));
            int[] top = byRelevance.subList(0, k).stream()
                    .mapToInt(Integer::intValue)
                    .sorted()
                    .toArray();
            int[] random = shuffled.subList(0, k).stream()
                    .mapToInt(Integer::intValue)
                    .sorted()
                    .toArray();
            double diff = as.get(e).logitDiff();
            double targetTop;
            double targetRandom;
            List<NDArray[]> prefix = prefixKeysValues(tr, pm, layerInputs, e, Math.max(top[0], random[0]));
            try {
                targetTop = targetAfterPrefix(tr, pm, prefix, r, pos[e], top, top[0]);
                targetRandom = targetAfterPrefix(tr, pm, prefix, r, pos[e], random, random[0]);
            } finally {
                prefix.forEach(kv -> new NDList(kv).close());
            }
            double dropTop = diff - targetTop;
            double dropRandom = diff - targetRandom;
            out.set(
                    e,
                    new Faithfulness(
                            k, dropTop, dropRandom, r.margin(), dropTop - dropRandom > r.margin(), top, random));
        }
        return out;
    }

    /**
     * Per layer, the keys and values ([1, kvHeads, f, head_dim]) of positions 0..f-1 of example {@code e} of a pass,
     * from its layer inputs {@code layerInputs} ([B, T, D] each, in layer order; the last one, entering the final
     * norm, is not needed). Owned by {@code pm}, outside any scope: the caller closes them.
     */
    static List<NDArray[]> prefixKeysValues(Transformer tr, NDManager pm, List<Pass.Probe> layerInputs, int e, int f) {
        List<NDArray[]> prefix = new ArrayList<>(layerInputs.size() - 1);
        Pass plain = Pass.inference(pm);
        for (int l = 0; l < layerInputs.size() - 1; l++) {
            try (NDScope scope = new NDScope()) {
                NDArray h = layerInputs.get(l).value().get(new NDIndex("{}:{}, 0:{}, :", e, e + 1, f));
                NDArray[] kv = tr.attentionKeysValues(plain, l, h);
                NDScope.unregister(kv);
                prefix.add(kv);
            }
        }
        return prefix;
    }

    /**
     * Δℓ (or the wrong logit) of request {@code r} at {@code pos} with the token embeddings at {@code zeroed}
     * (sorted, none before {@code from}) set to zero: positions 0..from-1 from {@code prefix} (per layer, keys and
     * values of at least those positions, as {@link #prefixKeysValues} makes them), from..pos computed.
     */
    static double targetAfterPrefix(
            Transformer tr,
            NDManager pm,
            List<NDArray[]> prefix,
            AttributionRequest r,
            int pos,
            int[] zeroed,
            int from) {
        if (from < 1
                || from > pos
                || zeroed.length > 0 && zeroed[0] < from
                || from > prefix.get(0)[0].getShape().get(2)) {
            throw new IllegalArgumentException("the copy starts at " + from + ", before position " + pos
                    + ", not after its first zeroed token and within the prefix");
        }
        try (NDScope scope = new NDScope()) {
            int s = pos + 1 - from;
            float[] keep = new float[s];
            java.util.Arrays.fill(keep, 1f);
            for (int z : zeroed) {
                keep[z - from] = 0f;
            }
            NDArray emb = tr.embed(pm, java.util.Arrays.copyOfRange(r.ids(), from, pos + 1))
                    .expandDims(0);
            NDArray mask = pm.create(keep, new Shape(1, s, 1)).toType(emb.getDataType(), false);
            List<NDArray[]> kv = new ArrayList<>(prefix.size());
            NDIndex rows = new NDIndex(":, :, 0:{}, :", from);
            for (NDArray[] layer : prefix) {
                kv.add(new NDArray[] {layer[0].get(rows), layer[1].get(rows)});
            }
            int[] vocab = r.correct() == null ? new int[] {r.wrong()} : new int[] {r.wrong(), r.correct()};
            double[] l = tr.logitsAfterPrefix(Pass.inference(pm), emb.mul(mask), kv, vocab)
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray();
            return r.correct() == null ? l[0] : l[0] - l[1];
        }
    }

    /** Δℓ (or the wrong logit) at {@code pos} with the token embeddings at {@code zeroed} set to zero; for checks. */
    static double targetWithZeroed(HfLanguageModel m, int[] ids, int pos, int wrong, Integer correct, int[] zeroed) {
        Transformer tr = m.transformer();
        try (NDScope scope = new NDScope();
                NDManager pm = m.manager().newSubManager()) {
            float[] keep = new float[ids.length];
            java.util.Arrays.fill(keep, 1f);
            for (int i : zeroed) {
                keep[i] = 0f;
            }
            NDArray emb = tr.embed(pm, ids);
            NDArray mask = pm.create(keep, new Shape(1, ids.length, 1)).toType(emb.getDataType(), false);
            double[] l = tr.logits(Pass.inference(pm), emb.expandDims(0).mul(mask), pos)
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray();
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

    /** Σ of value ⊙ gradient per probe and example, in float64: probe-major, {@code examples} values per probe. */
    private static NDArray stackedTotals(List<Pass.Probe> probes, int examples) {
        NDList totals = new NDList();
        for (Pass.Probe probe : probes) {
            try (NDScope scope = new NDScope()) {
                NDArray r = total(probe.value(), grad(probe.leaf()), examples);
                NDScope.unregister(r);
                totals.add(r);
            }
        }
        return NDArrays.concat(totals);
    }

    private static NDArray rowSum(NDArray value, NDArray grad) {
        NDArray r = value.toType(DataType.FLOAT64, false)
                .mul(grad.toType(DataType.FLOAT64, false))
                .sum(new int[] {value.getShape().dimension() - 1});
        return r.flatten();
    }

    /** Σ of value ⊙ gradient per example (the first axis when there are several), in float64: [examples]. */
    private static NDArray total(NDArray value, NDArray grad, int examples) {
        NDArray prod = value.toType(DataType.FLOAT64, false).mul(grad.toType(DataType.FLOAT64, false));
        return examples == 1
                ? prod.sum().reshape(1)
                : prod.reshape(examples, -1).sum(new int[] {1});
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
