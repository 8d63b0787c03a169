package dev.faultline.engine;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a copy of a one-file safetensors checkpoint in which every tensor whose name contains {@code .a.} is named
 * {@code .b.} and the other way round: the same bytes under exchanged names, so a test can see whether a comparison
 * notices two same-shaped weights used in each other's place.
 */
final class SwappedTensors {

    private SwappedTensors() {}

    static Path copy(Path model, Path target, String a, String b) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, target.resolve(f.getFileName()));
            }
        }
        Path st = target.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(st);
        long headerLen =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8))
                .getAsJsonObject();
        JsonObject renamed = new JsonObject();
        int swaps = 0;
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            String swapped = name.contains("." + a + ".")
                    ? name.replace("." + a + ".", "." + b + ".")
                    : name.contains("." + b + ".") ? name.replace("." + b + ".", "." + a + ".") : name;
            swaps += swapped.equals(name) ? 0 : 1;
            renamed.add(swapped, e.getValue());
        }
        if (swaps == 0) {
            throw new IllegalArgumentException("no tensor named ." + a + ". or ." + b + ". in " + model);
        }
        byte[] json = renamed.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
        try (OutputStream out = Files.newOutputStream(st)) {
            out.write(len.array());
            out.write(json);
            out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
            out.write(bytes, 8 + (int) headerLen, bytes.length - 8 - (int) headerLen);
        }
        return target;
    }
}
