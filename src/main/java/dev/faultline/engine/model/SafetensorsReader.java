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
 * the compute dtype. F32, F64, F16 and BF16 tensors are read and cast by libtorch; tensors are streamed through one
 * small buffer (see {@link #read}), so peak memory while loading is the loaded weights plus that buffer.
 */
public final class SafetensorsReader {

    private SafetensorsReader() {}

    /** Every tensor of the checkpoint in {@code dir}, cast to {@code target}, keyed by its Hugging Face name. */
    public static Map<String, NDArray> readDirectory(Path dir, NDManager manager, DataType target) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Path file : files(dir)) {
            read(file, manager, target, out);
        }
        return out;
    }

    /** Bytes read per piece: a tensor larger than this is filled piece by piece along its first axis. */
    static final int PIECE_BYTES = 16 << 20;

    /**
     * Bytes the weights of the checkpoint in {@code dir} take once cast to {@code target}, from the safetensors
     * headers alone (no tensor is read): what {@link #readDirectory} will allocate.
     */
    public static long weightBytes(Path dir, DataType target) {
        long total = 0;
        for (Path file : files(dir)) {
            for (TensorInfo t : header(file).tensors) {
                total += t.count * target.getNumOfBytes();
            }
        }
        return total;
    }

    /** One tensor's entry in a safetensors header. */
    private record TensorInfo(String name, String dtype, long[] dims, long count, long begin, long end) {}

    private record Header(long dataStart, long size, java.util.List<TensorInfo> tensors) {}

    private static java.util.List<Path> files(Path dir) {
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return java.util.List.of(single);
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) {
            throw new ModelLoadException("no model.safetensors or model.safetensors.index.json in " + dir);
        }
        TreeSet<String> shards = new TreeSet<>();
        try {
            JsonObject map = JsonParser.parseString(Files.readString(index))
                    .getAsJsonObject()
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
        java.util.List<Path> out = new java.util.ArrayList<>();
        for (String shard : shards) {
            Path p = dir.resolve(shard).normalize();
            if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
                throw new ModelLoadException("shard " + shard + " listed in " + index + " is missing");
            }
            out.add(p);
        }
        return out;
    }

    private static Header header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(file, ch);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
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
        while (header.hasRemaining() && ch.read(header, 8 + header.position()) > 0) {
            // read until full
        }
        JsonObject json;
        try {
            json = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (RuntimeException e) {
            throw new ModelLoadException(file + " has an unreadable safetensors header: " + e.getMessage(), e);
        }
        long dataStart = 8 + headerLen;
        java.util.List<TensorInfo> tensors = new java.util.ArrayList<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            try {
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
                int width = width(dtype, e.getKey(), file);
                if (end - begin != count * width || begin < 0 || dataStart + end > size) {
                    throw new ModelLoadException("tensor " + e.getKey() + " in " + file
                            + " has offsets that do not match its shape and dtype");
                }
                tensors.add(new TensorInfo(e.getKey(), dtype, dims, count, begin, end));
            } catch (IllegalStateException | NullPointerException | UnsupportedOperationException ex) {
                throw new ModelLoadException("tensor " + e.getKey() + " in " + file + " has a malformed entry", ex);
            }
        }
        return new Header(dataStart, size, tensors);
    }

    private static int width(String dtype, String name, Path file) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F64" -> 8;
            case "F16", "BF16" -> 2;
            default ->
                throw new ModelLoadException(
                        "tensor " + name + " in " + file + " has dtype " + dtype + " (supported: F32, F64, F16, BF16)");
        };
    }

    /**
     * Reads one safetensors file into {@code out}, streamed: each tensor goes from the file through one reused
     * buffer of {@link #PIECE_BYTES} straight into memory libtorch owns, cast to {@code target} there. A tensor
     * larger than the buffer is allocated once and filled piece by piece along its first axis, so loading holds
     * the weights plus one piece, never a second copy of a tensor (nor the file mapped).
     */
    public static void read(Path file, NDManager manager, DataType target, Map<String, NDArray> out) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = header(file, ch);
            ByteBuffer piece = null;
            ByteBuffer[] wide = new ByteBuffer[1]; // BF16 widened to float32, reused like the piece
            for (TensorInfo t : h.tensors) {
                long bytes = t.end - t.begin;
                long rows = t.dims.length == 0 ? 1 : t.dims[0];
                long rowBytes = rows == 0 ? bytes : bytes / rows;
                // one piece: the whole tensor when it fits, else whole rows (at least one)
                long capacity = Math.max(1, bytes <= PIECE_BYTES ? bytes : Math.max(PIECE_BYTES, rowBytes));
                if (capacity > Integer.MAX_VALUE - 8) {
                    throw new ModelLoadException("tensor " + t.name + " in " + file + " has rows of " + rowBytes
                            + " bytes, too large to stream");
                }
                if (piece == null || piece.capacity() < capacity) {
                    piece = ByteBuffer.allocateDirect((int) Math.max(capacity, PIECE_BYTES))
                            .order(ByteOrder.LITTLE_ENDIAN);
                }
                long position = h.dataStart + t.begin;
                if (bytes <= piece.capacity()) {
                    fill(ch, piece, position, (int) bytes, file);
                    out.put(t.name, owned(piece, wide, t.dtype, new Shape(t.dims), manager, target));
                    continue;
                }
                NDArray whole = manager.zeros(new Shape(t.dims), target);
                long perPiece = Math.max(1, piece.capacity() / rowBytes);
                long[] rest = java.util.Arrays.copyOfRange(t.dims, 1, t.dims.length);
                for (long r0 = 0; r0 < rows; r0 += perPiece) {
                    long r1 = Math.min(rows, r0 + perPiece);
                    fill(ch, piece, position + r0 * rowBytes, (int) ((r1 - r0) * rowBytes), file);
                    long[] dims = new long[t.dims.length];
                    dims[0] = r1 - r0;
                    System.arraycopy(rest, 0, dims, 1, rest.length);
                    try (NDArray part = owned(piece, wide, t.dtype, new Shape(dims), manager, target)) {
                        whole.set(new ai.djl.ndarray.index.NDIndex("{}:{}", r0, r1), part);
                    }
                }
                out.put(t.name, whole);
            }
        } catch (IOException | IllegalStateException | NullPointerException e) {
            throw new ModelLoadException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void fill(FileChannel ch, ByteBuffer piece, long position, int bytes, Path file) throws IOException {
        piece.clear().limit(bytes);
        while (piece.hasRemaining()) {
            if (ch.read(piece, position + piece.position()) < 0) {
                throw new ModelLoadException(file + " ends inside a tensor");
            }
        }
        piece.flip();
    }

    /**
     * The first {@code piece.limit()} bytes as a tensor of {@code shape} cast to {@code target}, in memory libtorch
     * owns: the array made over the buffer aliases it (and the buffer is reused), so it is always copied or cast.
     * BF16 is widened to float32 here (its bits are the high half of a float32): DJL 0.36's PyTorch engine aborts the
     * process on bfloat16 arrays.
     */
    private static NDArray owned(
            ByteBuffer piece, ByteBuffer[] wideScratch, String dtype, Shape shape, NDManager manager, DataType target) {
        NDArray a;
        if (dtype.equals("BF16")) {
            java.nio.ShortBuffer in = piece.asShortBuffer();
            int n = in.remaining();
            if (wideScratch[0] == null || wideScratch[0].capacity() < n * 4) {
                wideScratch[0] = ByteBuffer.allocateDirect(Math.max(n * 4, 2 * PIECE_BYTES))
                        .order(ByteOrder.nativeOrder());
            }
            ByteBuffer wide = wideScratch[0].clear().limit(n * 4);
            java.nio.FloatBuffer f = wide.asFloatBuffer();
            for (int i = 0; i < n; i++) {
                f.put(i, Float.intBitsToFloat((in.get(i) & 0xffff) << 16));
            }
            a = manager.create(wide, shape, DataType.FLOAT32);
        } else {
            a = manager.create(
                    piece,
                    shape,
                    switch (dtype) {
                        case "F32" -> DataType.FLOAT32;
                        case "F64" -> DataType.FLOAT64;
                        default -> DataType.FLOAT16;
                    });
        }
        NDArray owned = a.getDataType() == target ? a.duplicate() : a.toType(target, true);
        a.close();
        return owned;
    }
}
