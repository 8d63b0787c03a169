package dev.faultline.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.faultline.engine.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads safetensors checkpoints (one file or shards listed in {@code model.safetensors.index.json}) into NDArrays of
 * the compute dtype. F32, F64, F16 and BF16 tensors are read; BF16 is widened by hand (its bits are the high half of
 * a float32), so no engine support for bfloat16 is needed.
 */
public final class SafetensorsReader {

    private SafetensorsReader() {
    }

    /** Every tensor of the checkpoint in {@code dir}, cast to {@code target}, keyed by its Hugging Face name. */
    public static Map<String, NDArray> readDirectory(Path dir, NDManager manager, DataType target) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            read(single, manager, target, out);
        } else if (Files.isRegularFile(index)) {
            TreeSet<String> shards = new TreeSet<>();
            try {
                JsonObject map = JsonParser.parseString(Files.readString(index)).getAsJsonObject()
                        .getAsJsonObject("weight_map");
                if (map == null) {
                    throw new ModelLoadException(index + " has no weight_map");
                }
                for (Map.Entry<String, JsonElement> e : map.entrySet()) {
                    shards.add(e.getValue().getAsString());
                }
            } catch (IOException | IllegalStateException e) {
                throw new ModelLoadException("cannot read " + index + ": " + e.getMessage(), e);
            }
            for (String shard : shards) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw new ModelLoadException("shard " + shard + " listed in " + index + " is missing");
                }
                read(p, manager, target, out);
            }
        } else {
            throw new ModelLoadException("no model.safetensors or model.safetensors.index.json in " + dir);
        }
        return out;
    }

    /** Reads one safetensors file into {@code out}. */
    public static void read(Path file, NDManager manager, DataType target, Map<String, NDArray> out) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(lenBuf, 0) != 8) {
                throw new ModelLoadException(file + " is too short to be safetensors");
            }
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > Math.min(size - 8, 100_000_000L)) {
                throw new ModelLoadException(file + " has a bad safetensors header length " + headerLen);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            ch.read(header, 8);
            JsonObject json = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            long dataStart = 8 + headerLen;
            for (Map.Entry<String, JsonElement> e : json.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject t = e.getValue().getAsJsonObject();
                String dtype = t.get("dtype").getAsString();
                var shapeJson = t.getAsJsonArray("shape");
                long[] dims = new long[shapeJson.size()];
                long count = 1;
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shapeJson.get(i).getAsLong();
                    count *= dims[i];
                }
                long begin = t.getAsJsonArray("data_offsets").get(0).getAsLong();
                long end = t.getAsJsonArray("data_offsets").get(1).getAsLong();
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F64" -> 8;
                    case "F16", "BF16" -> 2;
                    default -> throw new ModelLoadException("tensor " + e.getKey() + " in " + file + " has dtype "
                            + dtype + " (supported: F32, F64, F16, BF16)");
                };
                if (end - begin != count * width || dataStart + end > size) {
                    throw new ModelLoadException("tensor " + e.getKey() + " in " + file
                            + " has offsets that do not match its shape and dtype");
                }
                MappedByteBuffer raw = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
                raw.order(ByteOrder.LITTLE_ENDIAN);
                out.put(e.getKey(), toArray(raw, dtype, new Shape(dims), manager, target));
            }
        } catch (IOException | IllegalStateException | NullPointerException e) {
            throw new ModelLoadException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    private static NDArray toArray(ByteBuffer raw, String dtype, Shape shape, NDManager manager, DataType target) {
        NDArray a;
        if (dtype.equals("BF16")) {
            ShortBuffer in = raw.asShortBuffer();
            int n = in.remaining();
            ByteBuffer bytes = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
            FloatBuffer f = bytes.asFloatBuffer();
            for (int i = 0; i < n; i++) {
                f.put(Float.intBitsToFloat((in.get(i) & 0xffff) << 16));
            }
            a = manager.create(bytes, shape, DataType.FLOAT32);
        } else {
            DataType source = dtype.equals("F32") ? DataType.FLOAT32
                    : dtype.equals("F64") ? DataType.FLOAT64 : DataType.FLOAT16;
            a = manager.create(raw, shape, source);
        }
        // always copy into memory libtorch owns: the source array is backed by the file mapping or a Java direct
        // buffer, which the JVM unmaps or frees on its own schedule (toType to the same dtype may alias, clone never)
        NDArray owned = a.getDataType() == target ? a.duplicate() : a.toType(target, true);
        a.close();
        return owned;
    }
}
