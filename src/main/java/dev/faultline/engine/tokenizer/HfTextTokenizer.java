package dev.faultline.engine.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.faultline.engine.ModelLoadException;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenizedText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A {@link TextTokenizer} over DJL's binding of Hugging Face {@code tokenizers}, built from the model directory's
 * {@code tokenizer.json} with truncation off (DJL would otherwise cut inputs at {@code model_max_length}). Character
 * spans are Java {@code String} indices (UTF-16), so {@code text.substring(start, end)} is the token's text, and
 * they tile the text: the tokens' substrings, in order, concatenate to it.
 */
public final class HfTextTokenizer implements TextTokenizer, AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<Integer, String> pieces = new HashMap<>();
    private final Set<Integer> special = new HashSet<>();

    private HfTextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code dir/tokenizer.json}; never contacts the Hugging Face hub. */
    public static HfTextTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException("no tokenizer.json in " + dir);
        }
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load " + file + ": " + e.getMessage(), e);
        }
        HfTextTokenizer t = new HfTextTokenizer(hf);
        try {
            t.readVocabulary(JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject());
        } catch (IOException | RuntimeException e) {
            hf.close();
            throw new ModelLoadException("cannot read the vocabulary of " + file + ": " + e.getMessage(), e);
        }
        return t;
    }

    private void readVocabulary(JsonObject json) {
        JsonObject model = json.getAsJsonObject("model");
        JsonElement v = model == null ? null : model.get("vocab");
        if (v != null && v.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
                put(e.getKey(), e.getValue().getAsInt());
            }
        } else if (v != null && v.isJsonArray()) { // Unigram: [[piece, score], ...]
            for (int i = 0; i < v.getAsJsonArray().size(); i++) {
                put(v.getAsJsonArray().get(i).getAsJsonArray().get(0).getAsString(), i);
            }
        }
        if (json.has("added_tokens") && json.get("added_tokens").isJsonArray()) {
            for (JsonElement e : json.getAsJsonArray("added_tokens")) {
                JsonObject o = e.getAsJsonObject();
                int id = o.get("id").getAsInt();
                put(o.get("content").getAsString(), id);
                if (o.has("special") && o.get("special").getAsBoolean()) {
                    special.add(id);
                }
            }
        }
    }

    private void put(String piece, int id) {
        vocab.put(piece, id);
        pieces.put(id, piece);
    }

    @Override
    public TokenizedText encode(String text, boolean addSpecialTokens) {
        Encoding enc = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = enc.getIds();
        String[] tokens = enc.getTokens();
        CharSpan[] spans = enc.getCharTokenSpans();
        long[] specialMask = enc.getSpecialTokenMask();
        int n = ids.length;
        int[] outIds = new int[n];
        boolean[] flags = new boolean[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        for (int i = 0; i < n; i++) {
            outIds[i] = Math.toIntExact(ids[i]);
            flags[i] = (specialMask != null && specialMask[i] != 0) || special.contains(outIds[i]);
            CharSpan s = spans == null ? null : spans[i];
            starts[i] = s == null ? -1 : s.getStart();
            ends[i] = s == null ? -1 : s.getEnd();
        }
        tile(text, starts, ends);
        return new TokenizedText(outIds, tokens, starts, ends, flags);
    }

    /**
     * Turns the native spans (code-point offsets, -1 for none) into UTF-16 spans that tile {@code text} in token
     * order. The native spans overlap and leave gaps: byte-level BPE gives every token holding some bytes of a
     * multi-byte character that whole character, and a normalizer that composes (NFC: {@code e} + U+0301 →
     * {@code é}) maps the composed character back to its first code point only. Here a character belongs to the
     * first token that touches it; a token left with no character of its own (the later bytes of a split character,
     * a special token the template added) gets an empty span at the boundary where it falls; characters no token
     * covers join the token before them (the first token when they lead the text).
     */
    private static void tile(String text, int[] starts, int[] ends) {
        int[] utf16 = new int[text.codePointCount(0, text.length()) + 1];
        for (int k = 0, at = 0; at < text.length(); k++) {
            utf16[k] = at;
            at += Character.charCount(text.codePointAt(at));
        }
        utf16[utf16.length - 1] = text.length();
        int at = 0; // the text before this UTF-16 index belongs to the tokens seen so far
        int owner = -1; // the last token that got characters
        for (int i = 0; i < starts.length; i++) {
            int start = starts[i] < 0 ? at : utf16[Math.min(starts[i], utf16.length - 1)];
            int end = ends[i] < 0 ? at : utf16[Math.min(ends[i], utf16.length - 1)];
            if (end <= at) {
                starts[i] = at;
                ends[i] = at;
                continue;
            }
            if (start > at && owner >= 0) {
                moveEnd(owner, i, start, starts, ends);
                at = start;
            }
            starts[i] = at;
            ends[i] = end;
            owner = i;
            at = end;
        }
        if (owner >= 0 && at < text.length()) {
            moveEnd(owner, starts.length, text.length(), starts, ends);
        }
    }

    /** Extends token {@code owner} to {@code to}, with the empty spans after it up to {@code before}. */
    private static void moveEnd(int owner, int before, int to, int[] starts, int[] ends) {
        ends[owner] = to;
        for (int j = owner + 1; j < before; j++) {
            starts[j] = to;
            ends[j] = to;
        }
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecialTokens);
    }

    @Override
    public String tokenText(int id) {
        String text = tokenizer.decode(new long[] {id}, false);
        String piece = pieces.get(id);
        // SentencePiece decoders strip the leading space of the first token: give it back
        if (piece != null && piece.startsWith("\u2581") && !text.startsWith(" ")) {
            return " " + text;
        }
        return text;
    }

    @Override
    public int tokenId(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public boolean isSpecial(int id) {
        return special.contains(id);
    }

    /** Number of vocabulary entries (including added tokens). */
    public int vocabularySize() {
        return pieces.size();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
