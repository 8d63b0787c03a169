package dev.faultline.triage;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.faultline.engine.TextTokenizer;
import dev.faultline.engine.TokenizedText;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A TextTokenizer over a tokenizer.json for tests that must not depend on the engine's own implementation. */
final class HfTestTokenizer implements TextTokenizer {

    private final HuggingFaceTokenizer hf;
    private final Map<Integer, String> vocab = new java.util.HashMap<>();

    HfTestTokenizer(Path tokenizerJson) throws IOException {
        hf = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("truncation", "false", "modelMaxLength", "100000"));
        var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tokenizerJson.toFile());
        root.path("model")
                .path("vocab")
                .fields()
                .forEachRemaining(f -> vocab.put(f.getValue().asInt(), f.getKey()));
    }

    @Override
    public TokenizedText encode(String text, boolean addSpecialTokens) {
        Encoding e = hf.encode(text, addSpecialTokens, false);
        long[] ids = e.getIds();
        int n = ids.length;
        int[] out = new int[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        boolean[] special = new boolean[n];
        CharSpan[] spans = e.getCharTokenSpans();
        for (int i = 0; i < n; i++) {
            out[i] = (int) ids[i];
            special[i] = e.getSpecialTokenMask()[i] == 1;
            if (spans[i] != null && !special[i]) {
                starts[i] = spans[i].getStart();
                ends[i] = spans[i].getEnd();
            }
        }
        return new TokenizedText(out, e.getTokens(), starts, ends, special);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return hf.decode(l, skipSpecialTokens);
    }

    @Override
    public String tokenText(int id) {
        return vocab.getOrDefault(id, "").replace('\u2581', ' ');
    }

    @Override
    public int tokenId(String token) {
        return -1;
    }

    @Override
    public boolean isSpecial(int id) {
        return id <= 2;
    }
}
