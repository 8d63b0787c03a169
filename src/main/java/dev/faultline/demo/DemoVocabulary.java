package dev.faultline.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo model's character-level vocabulary (special tokens, digits, {@code +}, {@code =}) and the Hugging Face
 * {@code tokenizer.json} that describes it: a {@code WordLevel} model behind a {@code Split} pre-tokenizer that
 * isolates every character, {@code <s>} prepended by a template post-processor, and a {@code Fuse} decoder.
 */
public final class DemoVocabulary {

    public static final String UNK = "<unk>";
    public static final String BOS = "<s>";
    public static final String EOS = "</s>";
    public static final String PAD = "<pad>";
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int PAD_ID = 3;

    private static final List<String> SPECIALS = List.of(UNK, BOS, EOS, PAD);
    private static final String CHARS = "0123456789+=";

    private DemoVocabulary() {}

    /** Number of entries. */
    public static int size() {
        return SPECIALS.size() + CHARS.length();
    }

    /** Token ids of {@code text}, one per character, without BOS/EOS; unknown characters map to {@code <unk>}. */
    public static int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            int k = CHARS.indexOf(text.charAt(i));
            ids[i] = k < 0 ? UNK_ID : SPECIALS.size() + k;
        }
        return ids;
    }

    /** The vocabulary entry of {@code id}. */
    public static String token(int id) {
        if (id < 0 || id >= size()) {
            throw new IllegalArgumentException("token id out of range: " + id);
        }
        return id < SPECIALS.size() ? SPECIALS.get(id) : String.valueOf(CHARS.charAt(id - SPECIALS.size()));
    }

    /** The text of a generated token: its character, or "" for special tokens. */
    public static String text(int id) {
        return id < SPECIALS.size() ? "" : token(id);
    }

    /** The contents of {@code tokenizer.json}. */
    public static ObjectNode tokenizerJson(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIALS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", ".");
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode specials = post.putObject("special_tokens");
        ObjectNode bos = specials.putObject(BOS);
        bos.put("id", BOS);
        bos.putArray("ids").add(BOS_ID);
        bos.putArray("tokens").add(BOS);
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
            vocab.put(token(i), i);
        }
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        model.put("unk_token", UNK);
        return root;
    }

    /** The contents of {@code tokenizer_config.json} (for Hugging Face tools; Faultline reads tokenizer.json only). */
    public static ObjectNode tokenizerConfigJson(ObjectMapper json, int maxLength) {
        ObjectNode root = json.createObjectNode();
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        root.put("bos_token", BOS);
        root.put("eos_token", EOS);
        root.put("unk_token", UNK);
        root.put("pad_token", PAD);
        root.put("add_bos_token", true);
        root.put("add_eos_token", false);
        root.put("model_max_length", maxLength);
        root.put("clean_up_tokenization_spaces", false);
        return root;
    }
}
