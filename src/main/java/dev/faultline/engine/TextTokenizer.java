package dev.faultline.engine;

/** A model's tokenizer, built from its {@code tokenizer.json} (never from a hub name), with truncation off. */
public interface TextTokenizer {

    /** Encodes {@code text}; with {@code addSpecialTokens} the model's template (e.g. BOS) is applied. */
    TokenizedText encode(String text, boolean addSpecialTokens);

    /** Decodes ids to text. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** Text of one token as it appears in decoded output (e.g. {@code " Tom"} for {@code ▁Tom}). */
    String tokenText(int id);

    /** The id of a vocabulary entry, or -1 when it is not in the vocabulary. */
    int tokenId(String token);

    /** Whether the id is a special token (BOS, EOS, pad, unk, added special tokens). */
    boolean isSpecial(int id);
}
