package dev.faultline.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.faultline.engine.DType;
import dev.faultline.engine.InputTooLongException;
import dev.faultline.engine.LanguageModel;
import dev.faultline.engine.ModelConfig;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.arch.LayerWeights;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.tokenizer.HfTextTokenizer;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;

/** A checkpoint loaded by {@link dev.faultline.engine.ModelLoader}: config, weights in one NDManager, tokenizer. */
public final class HfLanguageModel implements LanguageModel {

    private final Path directory;
    private final HfConfig hfConfig;
    private final ModelConfig config;
    private final HfTextTokenizer tokenizer;
    private final DType dtype;
    private final String device;
    private final NDManager manager;
    private final Transformer transformer;
    private final long weightBytes;
    private volatile boolean closed;

    public HfLanguageModel(
            Path directory,
            HfConfig hfConfig,
            HfTextTokenizer tokenizer,
            DType dtype,
            String device,
            NDManager manager,
            Transformer transformer) {
        this.directory = directory;
        this.hfConfig = hfConfig;
        this.config = hfConfig.toModelConfig();
        this.tokenizer = tokenizer;
        this.dtype = dtype;
        this.device = device;
        this.manager = manager;
        this.transformer = transformer;
        this.weightBytes = countBytes(transformer);
    }

    private static long countBytes(Transformer t) {
        Map<NDArray, Boolean> seen = new IdentityHashMap<>();
        var w = t.weights();
        add(seen, w.embed(), w.positions(), w.finalNormW(), w.finalNormB(), w.head());
        for (LayerWeights l : w.layers()) {
            add(
                    seen,
                    l.attnNormW(),
                    l.attnNormB(),
                    l.q(),
                    l.qb(),
                    l.k(),
                    l.kb(),
                    l.v(),
                    l.vb(),
                    l.o(),
                    l.ob(),
                    l.qNorm(),
                    l.kNorm(),
                    l.postAttnNorm(),
                    l.mlpNormW(),
                    l.mlpNormB(),
                    l.gate(),
                    l.gateB(),
                    l.up(),
                    l.upB(),
                    l.down(),
                    l.downB(),
                    l.postMlpNorm());
        }
        long bytes = 0;
        for (NDArray a : seen.keySet()) {
            bytes += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    private static void add(Map<NDArray, Boolean> seen, NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                seen.put(a, Boolean.TRUE);
            }
        }
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    /** The full parsed configuration (architecture family, norms, RoPE, windows). */
    public HfConfig hfConfig() {
        return hfConfig;
    }

    @Override
    public TextTokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException(directory + " has no tokenizer.json; pass token ids instead of text");
        }
        return tokenizer;
    }

    @Override
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    /** The NDManager holding the weights; attribution passes open sub-managers of it. */
    public NDManager manager() {
        return manager;
    }

    public Transformer transformer() {
        return transformer;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * The model as the engine's own type, open: what every engine entry point (attribution, graphs) starts from.
     *
     * @throws IllegalArgumentException when it was not loaded by {@code ModelLoader}
     * @throws IllegalStateException when it is closed
     */
    public static HfLanguageModel of(LanguageModel model) {
        if (!(model instanceof HfLanguageModel m)) {
            throw new IllegalArgumentException("model was not loaded by ModelLoader: " + model);
        }
        if (m.isClosed()) {
            throw new IllegalStateException("model " + m.directory() + " is closed");
        }
        return m;
    }

    /**
     * Refuses input ids this model cannot take: none, more than its positions ({@link InputTooLongException}), or
     * outside its vocabulary.
     */
    public void checkIds(int[] ids) {
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("ids must not be empty");
        }
        int limit = config().maxPositions();
        if (ids.length > limit) {
            throw new InputTooLongException(ids.length, limit);
        }
        int v = config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= v) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + v + ")");
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            manager.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }
}
