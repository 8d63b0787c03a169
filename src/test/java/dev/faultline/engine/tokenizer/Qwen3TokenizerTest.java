package dev.faultline.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faultline.engine.ModelLoadException;
import dev.faultline.engine.SharedFiles;
import dev.faultline.engine.TokenizedText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen3's real tokenizer ({@code shared/tokenizers/qwen3}, byte-level BPE with an NFC normalizer and 26 added
 * tokens): ids equal transformers' on the chat-template cases, exact round trips, special tokens, and character
 * spans that tile the text and follow the byte-level tokens, multi-byte characters split across tokens included.
 */
class Qwen3TokenizerTest {

    private static final int VOCABULARY = 151_669;
    private static final int ENDOFTEXT = 151_643;
    private static final int IM_START = 151_644;
    private static final int IM_END = 151_645;
    private static final int THINK = 151_667;
    private static final int END_THINK = 151_668;

    /** Texts in NFC (the normalizer leaves them as they are), so decoding must give them back exactly. */
    private static final List<String> VARIED = List.of(
            "Hello, world! The quick brown fox jumps over the lazy dog.",
            "中文分词测试：你好，世界！日本語のテキストも。한국어 텍스트.",
            "emoji 😀👍🏽 🇫🇷 👨‍👩‍👧‍👦 🫠 done",
            "rare 𠀀𪚥 ꙮ ᚠᛇᚻ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Ω≈ç√∫ \u200b\ufeff\u200f\u00a0",
            "naïve café résumé — «quotes» ‘single’ “double” …",
            "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n"
                    + "\tprint(fib(10))  # tab\n\t\tnested = {'a': [1, 2]}\n",
            "3.14159 1,234,567 0x1F -42 1e-9 2026-12-07 12345678901234567890",
            "a  b   c    d\t\te\n\n\nf \n \n g   ",
            "   leading and trailing   ",
            "line1\r\nline2\r\n\r\n",
            " ",
            "\n",
            "x");

    @TempDir
    static Path tmp;

    private static HfTextTokenizer tok;
    private static List<JsonNode> cases;

    @BeforeAll
    static void load() throws IOException {
        Path source = SharedFiles.require("tokenizers/qwen3");
        Path dir = Files.createDirectories(tmp.resolve("qwen3"));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(source.resolve(f), dir.resolve(f));
        }
        tok = HfTextTokenizer.load(dir);
        cases = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(SharedFiles.require("data/chat-templates/cases.jsonl"))) {
            if (!line.isBlank()) {
                cases.add(json.readTree(line));
            }
        }
    }

    @AfterAll
    static void close() {
        if (tok != null) {
            tok.close();
        }
    }

    @Test
    void loadsFromAFolderWithTheRealFilesAndKnowsTheVocabulary() {
        assertThat(tok.vocabularySize()).isEqualTo(VOCABULARY);
        assertThat(tok.tokenId("<|endoftext|>")).isEqualTo(ENDOFTEXT);
        assertThat(tok.tokenId("</think>")).isEqualTo(VOCABULARY - 1);
        // byte-level pieces: "Ġ" is the space byte
        assertThat(tok.tokenId("Ġthe")).isEqualTo(279);
        assertThat(tok.tokenId("Ċ")).isEqualTo(198);
        assertThat(tok.tokenId("no-such-piece")).isEqualTo(-1);
        assertThat(tok.tokenText(279)).isEqualTo(" the");
        assertThat(tok.tokenText(198)).isEqualTo("\n");
        assertThatThrownBy(() -> HfTextTokenizer.load(tmp))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no tokenizer.json");
    }

    @Test
    void chatTemplateCasesGiveTransformersIds() {
        assertThat(cases).hasSize(30);
        int total = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = ints(c.get("ids"));
            TokenizedText t = tok.encode(text, false);
            assertThat(t.ids()).as(c.get("id").asText()).containsExactly(expected);
            // Qwen3's post-processor adds no BOS or EOS
            assertThat(tok.encode(text, true).ids()).as(c.get("id").asText()).containsExactly(expected);
            assertThat(tok.decode(t.ids(), false))
                    .as(c.get("id").asText())
                    .isEqualTo(Normalizer.normalize(text, Normalizer.Form.NFC));
            assertTiles(text, t);
            total += expected.length;
        }
        assertThat(total).isEqualTo(1_826);
    }

    @Test
    void variedTextRoundTripsExactly() {
        for (String text : VARIED) {
            TokenizedText t = tok.encode(text, true);
            assertThat(t.size()).as(text).isPositive();
            assertThat(tok.decode(t.ids(), false)).as(text).isEqualTo(text);
            assertThat(tok.decode(t.ids(), true)).as(text).isEqualTo(text);
            assertThat(t.special()).as(text).doesNotContain(true);
        }
        assertThat(tok.encode("", true).size()).isZero();
    }

    @Test
    void specialTokensAreSingleIdsFlaggedSpecial() {
        String text =
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nhmm\n</think>\n\nHello<|endoftext|>";
        TokenizedText t = tok.encode(text, false);
        List<Integer> ids = new ArrayList<>();
        for (int id : t.ids()) {
            ids.add(id);
        }
        assertThat(ids).containsSubsequence(IM_START, 872, 198).contains(IM_END, THINK, END_THINK, ENDOFTEXT);
        for (int i = 0; i < t.size(); i++) {
            int id = t.ids()[i];
            boolean special = id == IM_START || id == IM_END || id == ENDOFTEXT;
            assertThat(t.special()[i]).as("token %d (%s)", i, t.tokens()[i]).isEqualTo(special);
            assertThat(tok.isSpecial(id)).isEqualTo(special);
            if (id >= ENDOFTEXT) {
                // an added token spans exactly its own text
                assertThat(text.substring(t.starts()[i], t.ends()[i])).isEqualTo(t.tokens()[i]);
                assertThat(tok.tokenId(t.tokens()[i])).isEqualTo(id);
            }
        }
        assertTiles(text, t);
        // <think> is an added token but not a special one (as in transformers), so skipping specials keeps it
        assertThat(tok.isSpecial(THINK)).isFalse();
        assertThat(tok.decode(t.ids(), true)).isEqualTo("user\nHi\nassistant\n<think>\nhmm\n</think>\n\nHello");
        assertThat(tok.decode(t.ids(), false)).isEqualTo(text);
    }

    @Test
    void spansTileTheTextAndFollowTheBytes() {
        int split = 0;
        for (String text : VARIED) {
            TokenizedText t = tok.encode(text, true);
            assertTiles(text, t);
            assertSpansFollowBytes(text, t);
            for (int i = 0; i < t.size(); i++) {
                split += t.starts()[i] == t.ends()[i] ? 1 : 0;
            }
        }
        assertThat(split)
                .as("tokens holding only the later bytes of a split character")
                .isGreaterThan(5);
    }

    @Test
    void charactersSplitAcrossTokensGoToTheFirstToken() {
        // 𠀀 is three byte-level tokens (ð, łĢ, Ģ); 🫠 shares its first bytes with the space before it
        String text = "𠀀 🫠";
        TokenizedText t = tok.encode(text, false);
        assertThat(t.tokens()).startsWith("ð", "łĢ", "Ģ", "ĠðŁ");
        assertThat(pieces(text, t)).startsWith("𠀀", "", "", " 🫠");
        assertTiles(text, t);
    }

    @Test
    void composedCharactersKeepTheirCombiningMarks() {
        // NFC composes e + U+0301 and the three Hangul jamo, which the native offsets then map to the first code
        // point only: the rest of the original still belongs to that token
        String text = "Cafe\u0301 e\u0301te\u0301 \u1100\u1161\u11a8!";
        TokenizedText t = tok.encode(text, false);
        assertThat(tok.decode(t.ids(), false))
                .isEqualTo("Café été 각!")
                .isEqualTo(Normalizer.normalize(text, Normalizer.Form.NFC));
        assertTiles(text, t);
        assertThat(t.tokens()).containsExactly("C", "af", "Ã©", "ĠÃ©tÃ©", "Ġê°ģ", "!");
        assertThat(pieces(text, t))
                .containsExactly("C", "af", "e\u0301", " e\u0301te\u0301", " \u1100\u1161\u11a8", "!");
    }

    /** The spans are in order, inside the text, and their substrings concatenate to it. */
    private static void assertTiles(String text, TokenizedText t) {
        int at = 0;
        for (int i = 0; i < t.size(); i++) {
            assertThat(t.starts()[i]).as("start of token %d in %s", i, text).isEqualTo(at);
            assertThat(t.ends()[i]).as("end of token %d in %s", i, text).isBetween(at, text.length());
            at = t.ends()[i];
        }
        assertThat(at).as("the last token ends the text").isEqualTo(t.size() == 0 ? 0 : text.length());
        assertThat(String.join("", pieces(text, t))).isEqualTo(text);
    }

    /**
     * Each token's span holds the characters whose first UTF-8 byte is among the token's bytes (read from the
     * byte-level piece), which is what the spans promise: a split character goes to the token that starts it.
     * Only for texts NFC leaves unchanged, where the pieces' bytes are the text's bytes.
     */
    private static void assertSpansFollowBytes(String text, TokenizedText t) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        // the UTF-16 index of the first character starting at or after each byte offset
        int[] boundary = new int[utf8.length + 1];
        int b = 0;
        for (int at = 0; at < text.length(); at += Character.charCount(text.codePointAt(at))) {
            int width = new String(Character.toChars(text.codePointAt(at))).getBytes(StandardCharsets.UTF_8).length;
            for (int k = 0; k < width; k++) {
                boundary[b + k] = k == 0 ? at : at + Character.charCount(text.codePointAt(at));
            }
            b += width;
        }
        boundary[utf8.length] = text.length();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int before = 0;
        for (int i = 0; i < t.size(); i++) {
            byte[] bytes = ByteLevel.bytes(t.tokens()[i]);
            all.writeBytes(bytes);
            int after = before + bytes.length;
            assertThat(after).isLessThanOrEqualTo(utf8.length);
            assertThat(t.starts()[i])
                    .as("start of %s in %s", t.tokens()[i], text)
                    .isEqualTo(boundary[before]);
            assertThat(t.ends()[i]).as("end of %s in %s", t.tokens()[i], text).isEqualTo(boundary[after]);
            before = after;
        }
        assertThat(all.toByteArray()).isEqualTo(utf8);
    }

    private static List<String> pieces(String text, TokenizedText t) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            out.add(text.substring(t.starts()[i], t.ends()[i]));
        }
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    /** GPT-2's byte-level alphabet: each byte is one printable character (bytes_to_unicode in GPT-2's encoder). */
    private static final class ByteLevel {

        private static final int[] BYTE_OF = new int[512];

        static {
            java.util.Arrays.fill(BYTE_OF, -1);
            int extra = 0;
            for (int by = 0; by < 256; by++) {
                boolean printable = by >= '!' && by <= '~' || by >= 0xA1 && by <= 0xAC || by >= 0xAE && by <= 0xFF;
                BYTE_OF[printable ? by : 256 + extra++] = by;
            }
        }

        /** The bytes a byte-level piece stands for (added tokens are ASCII, which maps to itself). */
        static byte[] bytes(String piece) {
            byte[] out = new byte[piece.length()];
            for (int i = 0; i < piece.length(); i++) {
                int by = piece.charAt(i) < BYTE_OF.length ? BYTE_OF[piece.charAt(i)] : -1;
                assertThat(by)
                        .as("byte-level character %s of %s", piece.charAt(i), piece)
                        .isNotNegative();
                out[i] = (byte) by;
            }
            return out;
        }
    }
}
