package dev.tailor.runtime.text;

import dev.tailor.compiler.ir.Tensor;
import dev.tailor.compiler.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A BERT WordPiece tokenizer, as Hugging Face's {@code tokenizers} configures it for BERT-style models
 * ({@code BertNormalizer}, {@code BertPreTokenizer}, {@code WordPiece}, and the {@code [CLS] A [SEP]} template):
 * <ol>
 *   <li>normalize: drop NUL, U+FFFD and control/format characters, turn whitespace into spaces, put spaces around
 *       CJK ideographs, strip accents (NFD, then drop non-spacing marks) and lowercase, when the tokenizer is
 *       uncased;</li>
 *   <li>pre-tokenize: split on whitespace, and make each punctuation character (ASCII punctuation or a Unicode
 *       P* character) a word of its own;</li>
 *   <li>WordPiece: split each word greedily into the longest vocabulary entries, continuation pieces prefixed with
 *       {@code ##}; a word that cannot be split, or has more than {@code max_input_chars_per_word} characters,
 *       becomes {@code [UNK]};</li>
 *   <li>wrap as {@code [CLS] pieces [SEP]}, truncating the pieces to fit a maximum length.</li>
 * </ol>
 * Only the single-sequence case is supported (token type ids are all 0), and added tokens in the text (such as a
 * literal "[MASK]") are not recognized: they are tokenized as plain text.
 */
public final class WordPieceTokenizer {
    private final Map<String, Integer> vocab;
    private final boolean lowercase;
    private final boolean stripAccents;
    private final boolean handleChineseChars;
    private final boolean cleanText;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final String unkToken;
    private final int clsId;
    private final int sepId;
    private final int padId;

    /**
     * @param vocab the WordPiece vocabulary, token to id; must hold {@code [UNK]}, {@code [CLS]}, {@code [SEP]} and
     *              {@code [PAD]}
     */
    public WordPieceTokenizer(Map<String, Integer> vocab, boolean lowercase, boolean stripAccents,
                              boolean handleChineseChars, boolean cleanText, String unkToken,
                              String continuingSubwordPrefix, int maxInputCharsPerWord) {
        this.vocab = Map.copyOf(vocab);
        this.lowercase = lowercase;
        this.stripAccents = stripAccents;
        this.handleChineseChars = handleChineseChars;
        this.cleanText = cleanText;
        this.prefix = continuingSubwordPrefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.unkToken = unkToken;
        id(unkToken); // must exist
        this.clsId = id("[CLS]");
        this.sepId = id("[SEP]");
        this.padId = id("[PAD]");
    }

    /**
     * Reads a Hugging Face {@code tokenizer.json} whose model is WordPiece: the vocabulary and its settings come from
     * {@code "model"}, the normalization flags from a {@code BertNormalizer} {@code "normalizer"} (defaults: clean
     * text, handle CJK, lowercase, strip accents when lowercasing).
     */
    public static WordPieceTokenizer fromTokenizerJson(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Map<?, ?> root = asObject(Json.parse(text), file + ": the top level");
        Map<?, ?> model = asObject(root.get("model"), file + ": \"model\"");
        if (model.get("type") != null && !"WordPiece".equals(model.get("type")))
            throw new IllegalArgumentException(file + ": the tokenizer's model is " + model.get("type")
                    + ", not WordPiece");
        Map<?, ?> rawVocab = asObject(model.get("vocab"), file + ": \"model\".\"vocab\"");
        Map<String, Integer> vocab = new HashMap<>(rawVocab.size() * 2);
        for (Map.Entry<?, ?> e : rawVocab.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE)
                throw new IllegalArgumentException(file + ": vocabulary entry '" + e.getKey() + "' has id " + e.getValue());
            vocab.put((String) e.getKey(), id.intValue());
        }
        String unk = model.get("unk_token") instanceof String s ? s : "[UNK]";
        String prefix = model.get("continuing_subword_prefix") instanceof String s ? s : "##";
        int maxChars = model.get("max_input_chars_per_word") instanceof Long n ? n.intValue() : 100;

        boolean lowercase = true, cleanText = true, chinese = true;
        Boolean strip = null;
        if (root.get("normalizer") instanceof Map<?, ?> norm && "BertNormalizer".equals(norm.get("type"))) {
            if (norm.get("lowercase") instanceof Boolean b) lowercase = b;
            if (norm.get("clean_text") instanceof Boolean b) cleanText = b;
            if (norm.get("handle_chinese_chars") instanceof Boolean b) chinese = b;
            if (norm.get("strip_accents") instanceof Boolean b) strip = b;
        }
        return new WordPieceTokenizer(vocab, lowercase, strip != null ? strip : lowercase, chinese, cleanText, unk,
                prefix, maxChars);
    }

    /** The id of {@code token}; fails if the vocabulary lacks it. */
    public int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException("token '" + token + "' is not in the vocabulary");
        return id;
    }

    public int vocabSize() {
        return vocab.size();
    }

    public int padId() {
        return padId;
    }

    /** The word pieces of {@code text}, without {@code [CLS]}/{@code [SEP]}. */
    public List<String> tokenize(String text) {
        List<String> pieces = new ArrayList<>();
        for (String word : preTokenize(normalize(text))) wordPieces(word, pieces);
        return pieces;
    }

    /** {@code [CLS] text [SEP]} as ids, the pieces truncated so that the whole has at most {@code maxLength} ids. */
    public int[] encode(String text, int maxLength) {
        if (maxLength < 2) throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for [CLS] and [SEP]");
        List<String> pieces = tokenize(text);
        int n = Math.min(pieces.size(), maxLength - 2);
        int[] ids = new int[n + 2];
        ids[0] = clsId;
        for (int i = 0; i < n; i++) ids[i + 1] = vocab.get(pieces.get(i));
        ids[n + 1] = sepId;
        return ids;
    }

    /**
     * A batch of encoded texts padded with {@code [PAD]} to the longest (at most {@code maxLength}), as BERT's
     * three int64 inputs of shape {@code [batch, sequence]}, flattened row-major.
     */
    public record Batch(int batchSize, int sequenceLength, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {
        /** The inputs as IR tensors named {@code input_ids}, {@code attention_mask} and {@code token_type_ids}. */
        public Map<String, Tensor> tensors() {
            long[] dims = {batchSize, sequenceLength};
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("input_ids", Tensor.ofLongs("input_ids", dims, inputIds));
            m.put("attention_mask", Tensor.ofLongs("attention_mask", dims, attentionMask));
            m.put("token_type_ids", Tensor.ofLongs("token_type_ids", dims, tokenTypeIds));
            return m;
        }
    }

    /** Encodes {@code texts} (see {@link #encode}) and pads them to a common length. */
    public Batch encodeBatch(List<String> texts, int maxLength) {
        List<int[]> encoded = new ArrayList<>(texts.size());
        int longest = 0;
        for (String t : texts) {
            int[] ids = encode(t, maxLength);
            encoded.add(ids);
            longest = Math.max(longest, ids.length);
        }
        long[] ids = new long[texts.size() * longest];
        long[] mask = new long[ids.length];
        long[] types = new long[ids.length]; // single sequences: all type 0
        Arrays.fill(ids, padId);
        for (int b = 0; b < encoded.size(); b++) {
            int[] e = encoded.get(b);
            for (int i = 0; i < e.length; i++) {
                ids[b * longest + i] = e[i];
                mask[b * longest + i] = 1;
            }
        }
        return new Batch(texts.size(), longest, ids, mask, types);
    }

    // ---- normalization (BertNormalizer) ----

    String normalize(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (cleanText) {
                if (c == 0 || c == 0xFFFD || isControl(c)) return;
                if (isWhitespace(c)) c = ' ';
            }
            if (handleChineseChars && isChinese(c)) b.append(' ').appendCodePoint(c).append(' ');
            else b.appendCodePoint(c);
        });
        String s = b.toString();
        if (stripAccents) {
            s = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(s.length());
            s.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(kept::appendCodePoint);
            s = kept.toString();
        }
        if (lowercase) s = s.toLowerCase(Locale.ROOT);
        return s;
    }

    private static boolean isWhitespace(int c) {
        return c == '\t' || c == '\n' || c == '\r' || isUnicodeWhitespace(c);
    }

    /** Unicode's White_Space property (what Rust's {@code char::is_whitespace} tests). */
    private static boolean isUnicodeWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** Other (C*) characters except tab, newline and carriage return. */
    private static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED;
    }

    private static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    // ---- pre-tokenization (BertPreTokenizer) ----

    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (isUnicodeWhitespace(c)) {
                flush(word, words);
            } else if (isPunctuation(c)) {
                flush(word, words);
                words.add(new String(Character.toChars(c)));
            } else {
                word.appendCodePoint(c);
            }
        });
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (word.length() > 0) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** ASCII punctuation (which includes symbols such as $, +, ^ and `) or any Unicode P* character. */
    private static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    // ---- WordPiece ----

    /** Appends the pieces of one word: greedy longest match first, or the unknown token. */
    private void wordPieces(String word, List<String> out) {
        int[] cps = word.codePoints().toArray();
        if (cps.length > maxInputCharsPerWord) {
            out.add(unkToken);
            return;
        }
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < cps.length) {
            String match = null;
            int end = cps.length;
            for (; end > start; end--) {
                String candidate = new String(cps, start, end - start);
                if (start > 0) candidate = prefix + candidate;
                if (vocab.containsKey(candidate)) {
                    match = candidate;
                    break;
                }
            }
            if (match == null) {
                out.add(unkToken);
                return;
            }
            pieces.add(match);
            start = end;
        }
        out.addAll(pieces);
    }

    private static Map<?, ?> asObject(Object o, String what) {
        if (o instanceof Map<?, ?> m) return m;
        throw new IllegalArgumentException(what + " is not a JSON object");
    }
}
