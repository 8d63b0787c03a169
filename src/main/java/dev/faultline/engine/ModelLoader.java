package dev.faultline.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.faultline.engine.arch.ModelWeights;
import dev.faultline.engine.arch.NativeHeap;
import dev.faultline.engine.arch.Transformer;
import dev.faultline.engine.model.HfConfig;
import dev.faultline.engine.model.HfLanguageModel;
import dev.faultline.engine.model.SafetensorsReader;
import dev.faultline.engine.model.WeightLayout;
import dev.faultline.engine.tokenizer.HfTextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Loads Hugging Face checkpoint directories (config.json, safetensors, tokenizer.json). */
public final class ModelLoader {

    private ModelLoader() {}

    /**
     * Loads {@code dir} with weights cast to {@code dtype} on {@code device}. A GPU request on a machine where
     * libtorch sees no GPU fails with a {@link ModelLoadException}.
     *
     * @throws ModelLoadException naming the problem (missing file or tensor, shape mismatch, unsupported type)
     */
    public static LanguageModel load(Path dir, DType dtype, Device device) {
        return load(dir, dtype, device, false, Long.MAX_VALUE, EngineOptions.DEFAULTS);
    }

    /** As {@link #load(Path, DType, Device)}, with the device by name ({@link Device#parse}). */
    public static LanguageModel load(Path dir, DType dtype, String device) {
        return load(dir, dtype, Device.parse(device));
    }

    /**
     * As {@link #load(Path, DType, Device)}; with {@code cpuFallback} a GPU request on a machine without a GPU loads
     * on the CPU instead (the returned model's {@link LanguageModel#device()} says where it went).
     */
    public static LanguageModel load(Path dir, DType dtype, String device, boolean cpuFallback) {
        return load(dir, dtype, Device.parse(device), cpuFallback, Long.MAX_VALUE, EngineOptions.DEFAULTS);
    }

    /**
     * As {@link #load(Path, DType, Device)}, refusing before anything is read a checkpoint whose weights at
     * {@code dtype} take more than {@code budgetBytes} (a {@link ModelLoadException} that names both sizes), so an
     * oversized model is an unavailable model, never an out-of-memory crash.
     */
    public static LanguageModel load(Path dir, DType dtype, String device, long budgetBytes) {
        return load(dir, dtype, Device.parse(device), false, budgetBytes, EngineOptions.DEFAULTS);
    }

    /** As {@link #load(Path, DType, Device)}, with a weight budget (see above) and the passes' {@code options}. */
    public static LanguageModel load(Path dir, DType dtype, Device device, long budgetBytes, EngineOptions options) {
        return load(dir, dtype, device, false, budgetBytes, options);
    }

    /** Bytes the weights of the checkpoint in {@code dir} take at {@code dtype}, read from its headers only. */
    public static long weightBytes(Path dir, DType dtype) {
        return SafetensorsReader.weightBytes(dir, dtype.dataType());
    }

    private static LanguageModel load(
            Path dir, DType dtype, Device device, boolean cpuFallback, long budgetBytes, EngineOptions options) {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ModelLoadException("model directory " + dir + " does not exist");
        }
        HfConfig config = HfConfig.read(dir);
        long need = weightBytes(dir, dtype);
        if (need > budgetBytes) {
            throw new ModelLoadException(String.format(
                    java.util.Locale.ROOT,
                    "checkpoint %s needs %.2f GB of weights at %s, more than the model-memory budget of %.2f GB "
                            + "(faultline.models.max-bytes)",
                    dir,
                    need / 1e9,
                    dtype.label(),
                    budgetBytes / 1e9));
        }
        ai.djl.Device djlDevice = device(device, cpuFallback);
        String deviceLabel = djlDevice.isGpu() ? "gpu" : "cpu";
        HfTextTokenizer tokenizer =
                Files.isRegularFile(dir.resolve("tokenizer.json")) ? HfTextTokenizer.load(dir) : null;
        NDManager manager = NDManager.newBaseManager(djlDevice, "PyTorch");
        try {
            DataType dt = dtype.dataType();
            Map<String, NDArray> tensors = SafetensorsReader.readDirectory(dir, manager, dt);
            ModelWeights weights = WeightLayout.map(config, tensors);
            NativeHeap.trim(); // the loader's read and widening buffers are freed: their pages go back
            return new HfLanguageModel(
                    dir,
                    config,
                    tokenizer,
                    dtype,
                    deviceLabel,
                    manager,
                    new Transformer(config, weights, dt, options.scoreChunkBytes()));
        } catch (RuntimeException e) {
            manager.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e instanceof ModelLoadException ? e : new ModelLoadException("cannot load " + dir + ": " + e, e);
        }
    }

    private static ai.djl.Device device(Device device, boolean cpuFallback) {
        if (device == null || device == Device.CPU) {
            return ai.djl.Device.cpu();
        }
        int gpus = Engine.getEngine("PyTorch").getGpuCount();
        if (gpus > 0) {
            return ai.djl.Device.gpu();
        }
        if (cpuFallback) {
            return ai.djl.Device.cpu();
        }
        throw new ModelLoadException("device=gpu requested but libtorch sees no GPU (is the CUDA build of "
                + "libtorch on the classpath or PYTORCH_LIBRARY_PATH, and a GPU visible?); use device=cpu");
    }
}
