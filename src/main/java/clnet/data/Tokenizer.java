package clnet.data;

import clnet.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's text {@code Tokenizer} ({@code keras.preprocessing.text}), with its semantics:
 * a text is lower-cased, every character of {@link #DEFAULT_FILTERS} becomes a space, and
 * it is split on spaces; {@link #fitOnTexts} counts the words and numbers them by
 * frequency from 1 (ties in order of first appearance), the out-of-vocabulary token, if
 * any, taking 1; {@link #textsToSequences} and {@link #textsToMatrix} keep only indices
 * below {@code numWords} (so index 0, never a word, counts toward it: {@code numWords}
 * 10,000 keeps 9,999 words). Matrix modes: {@code binary}, {@code count}, {@code freq}
 * (count / length of the text) and {@code tfidf}: (1 + ln count) · ln(1 + documents /
 * (1 + documents containing the word)).
 */
public final class Tokenizer {
    /** The largest vocabulary cut-off: each text becomes a row of this many values. */
    public static final int MAX_NUM_WORDS = 1 << 20;

    /** Keras's default filters: punctuation, tab and newline. */
    public static final String DEFAULT_FILTERS = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

    public enum Mode {
        BINARY, COUNT, TFIDF, FREQ;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Mode parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "binary" -> BINARY;
                case "count" -> COUNT;
                case "tfidf" -> TFIDF;
                case "freq" -> FREQ;
                default -> throw new IllegalArgumentException("unknown mode '" + s + "' (binary, count, tfidf, freq)");
            };
        }
    }

    private final Integer numWords;
    private final String filters;
    private final boolean lower;
    private final String oovToken;
    private final Map<String, Integer> wordCounts = new LinkedHashMap<>();
    private final Map<String, Integer> wordDocs = new HashMap<>();
    private Map<String, Integer> wordIndex = new LinkedHashMap<>();
    private Map<Integer, Integer> indexDocs = new HashMap<>();
    private int documentCount;

    /** Keras's defaults: every word, the default filters, lower-casing, no out-of-vocabulary token. */
    public Tokenizer() {
        this(null, DEFAULT_FILTERS, true, null);
    }

    /**
     * @param numWords the vocabulary cut-off (indices below it are kept), or null for all
     * @param oovToken the token that stands for words outside the vocabulary, or null to drop them
     */
    public Tokenizer(Integer numWords, String filters, boolean lower, String oovToken) {
        if (numWords != null && numWords < 1) {
            throw new IllegalArgumentException("numWords must be at least 1, got " + numWords);
        }
        this.numWords = numWords;
        this.filters = filters;
        this.lower = lower;
        this.oovToken = oovToken;
    }

    /** Keras's {@code text_to_word_sequence}: lower-case, filters to spaces, split, empties dropped. */
    public List<String> words(String text) {
        String t = lower ? text.toLowerCase(Locale.ROOT) : text;
        StringBuilder b = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            b.append(filters.indexOf(c) >= 0 ? ' ' : c);
        }
        List<String> out = new ArrayList<>();
        for (String w : b.toString().split(" ")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** Counts the words of {@code texts} and numbers the vocabulary by frequency (Keras's {@code fit_on_texts}). */
    public Tokenizer fitOnTexts(List<String> texts) {
        for (String text : texts) {
            documentCount++;
            List<String> seq = words(text);
            for (String w : seq) {
                wordCounts.merge(w, 1, Integer::sum);
            }
            for (String w : new java.util.LinkedHashSet<>(seq)) {
                wordDocs.merge(w, 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(wordCounts.entrySet());
        sorted.sort((a, b) -> Integer.compare(b.getValue(), a.getValue())); // stable: ties keep first appearance
        List<String> vocabulary = new ArrayList<>();
        if (oovToken != null) {
            vocabulary.add(oovToken);
        }
        for (Map.Entry<String, Integer> e : sorted) {
            vocabulary.add(e.getKey());
        }
        wordIndex = new LinkedHashMap<>();
        for (int i = 0; i < vocabulary.size(); i++) {
            wordIndex.put(vocabulary.get(i), i + 1);
        }
        indexDocs = new HashMap<>();
        wordDocs.forEach((w, c) -> indexDocs.put(wordIndex.get(w), c));
        return this;
    }

    /** Each text as the indices of its words (Keras's {@code texts_to_sequences}). */
    public List<int[]> textsToSequences(List<String> texts) {
        Integer oov = oovToken == null ? null : wordIndex.get(oovToken);
        List<int[]> out = new ArrayList<>();
        for (String text : texts) {
            List<String> ws = words(text);
            int[] seq = new int[ws.size()];
            int n = 0;
            for (String w : ws) {
                Integer i = wordIndex.get(w);
                if (i != null && (numWords == null || i < numWords)) {
                    seq[n++] = i;
                } else if (oov != null) {
                    seq[n++] = oov;
                }
            }
            out.add(Arrays.copyOf(seq, n));
        }
        return out;
    }

    /** The texts as a (texts, width) matrix in {@code mode} (Keras's {@code texts_to_matrix}). */
    public HostTensor textsToMatrix(List<String> texts, Mode mode) {
        if (wordIndex.isEmpty() && mode != Mode.BINARY && mode != Mode.COUNT) {
            throw new IllegalStateException("fit the tokenizer on texts before asking for " + mode.id());
        }
        int width = width();
        List<int[]> seqs = textsToSequences(texts);
        HostTensor x = HostTensor.zeros(seqs.size(), width);
        float[] d = x.data();
        for (int r = 0; r < seqs.size(); r++) {
            int[] seq = seqs.get(r);
            if (seq.length == 0) {
                continue;
            }
            Map<Integer, Integer> counts = new HashMap<>();
            for (int j : seq) {
                if (j < width) {
                    counts.merge(j, 1, Integer::sum);
                }
            }
            for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
                int j = e.getKey();
                int c = e.getValue();
                double v = switch (mode) {
                    case BINARY -> 1;
                    case COUNT -> c;
                    case FREQ -> (double) c / seq.length;
                    case TFIDF -> (1 + Math.log(c)) * Math.log(1 + documentCount / (1.0 + indexDocs.getOrDefault(j, 0)));
                };
                d[r * width + j] = (float) v;
            }
        }
        return x;
    }

    /** The matrix width: {@code numWords}, or the vocabulary and index 0. */
    public int width() {
        return numWords != null ? numWords : wordIndex.size() + 1;
    }

    public Map<String, Integer> wordIndex() {
        return java.util.Collections.unmodifiableMap(wordIndex);
    }

    public Map<String, Integer> wordCounts() {
        return java.util.Collections.unmodifiableMap(wordCounts);
    }

    public int documentCount() {
        return documentCount;
    }

    /**
     * What a saved model keeps to read new texts as it read its training texts: the settings,
     * the words below {@code numWords} in index order, and their document counts (for tfidf).
     */
    public Map<String, Object> config() {
        List<String> words = new ArrayList<>();
        List<Integer> docs = new ArrayList<>();
        for (Map.Entry<String, Integer> e : wordIndex.entrySet()) {
            if (numWords == null || e.getValue() < numWords) {
                words.add(e.getKey());
                docs.add(indexDocs.getOrDefault(e.getValue(), 0));
            }
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("num_words", numWords);
        c.put("filters", filters);
        c.put("lower", lower);
        c.put("oov_token", oovToken);
        c.put("document_count", documentCount);
        c.put("words", words);
        c.put("word_docs", docs);
        return c;
    }

    /** A tokenizer as {@link #config()} saved it. */
    @SuppressWarnings("unchecked")
    public static Tokenizer fromConfig(Map<String, Object> c) {
        Number nw = (Number) c.get("num_words");
        // the matrix width: every text becomes a row of it
        if (nw != null && !(nw.doubleValue() >= 1 && nw.doubleValue() <= MAX_NUM_WORDS
                && nw.doubleValue() == Math.rint(nw.doubleValue()))) {
            throw new IllegalArgumentException("tokenizer config: num_words must be an integer from 1 to "
                    + MAX_NUM_WORDS + ", got " + nw);
        }
        Tokenizer t = new Tokenizer(nw == null ? null : nw.intValue(), (String) c.get("filters"),
                Boolean.TRUE.equals(c.get("lower")), (String) c.get("oov_token"));
        List<String> words = (List<String>) c.get("words");
        List<Number> docs = (List<Number>) c.get("word_docs");
        if (words.size() != docs.size()) {
            throw new IllegalArgumentException("tokenizer config: " + words.size() + " words but " + docs.size()
                    + " document counts");
        }
        for (int i = 0; i < words.size(); i++) {
            t.wordIndex.put(words.get(i), i + 1);
            t.indexDocs.put(i + 1, docs.get(i).intValue());
        }
        t.documentCount = ((Number) c.get("document_count")).intValue();
        return t;
    }
}
