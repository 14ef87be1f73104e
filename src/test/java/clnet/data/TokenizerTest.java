package clnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clnet.tensor.HostTensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Tokenizer against cases worked out by hand from Keras's definitions
 * ({@code keras.preprocessing.text}): counts "the" 3, "cat" 3, "dog" 2, the rest 1, so by
 * frequency, ties in order of first appearance: the 1, cat 2, dog 3, sat 4, on 5, mat 6,
 * ate 7, my 8, homework 9.
 */
class TokenizerTest {
    private static final List<String> TEXTS = List.of("The cat sat on the mat.", "The dog ate my homework!",
            "cat\tcat\ndog");

    private static Tokenizer fitted(Integer numWords, String oov) {
        return new Tokenizer(numWords, Tokenizer.DEFAULT_FILTERS, true, oov).fitOnTexts(TEXTS);
    }

    @Test
    void wordsAreLowerCasedFilteredAndSplit() {
        assertEquals(List.of("the", "cat", "sat", "on", "the", "mat"), new Tokenizer().words("The cat sat on the mat."));
        assertEquals(List.of("don't", "stop"), new Tokenizer().words("  Don't,,stop!! "), "' is not a default filter");
    }

    @Test
    void theIndexIsByFrequencyFromOne() {
        Map<String, Integer> index = fitted(null, null).wordIndex();
        assertEquals(List.of("the", "cat", "dog", "sat", "on", "mat", "ate", "my", "homework"),
                List.copyOf(index.keySet()));
        assertEquals(1, index.get("the"));
        assertEquals(9, index.get("homework"));
        assertEquals(3, fitted(null, null).documentCount());
    }

    @Test
    void numWordsCountsIndexZero() {
        List<int[]> seqs = fitted(4, null).textsToSequences(TEXTS); // keeps indices 1..3: the, cat, dog
        assertArrayEquals(new int[] {1, 2, 1}, seqs.get(0));
        assertArrayEquals(new int[] {1, 3}, seqs.get(1));
        assertArrayEquals(new int[] {2, 2, 3}, seqs.get(2));
    }

    @Test
    void anOutOfVocabularyTokenTakesIndexOne() {
        Tokenizer t = fitted(4, "<oov>");
        assertEquals(1, t.wordIndex().get("<oov>"));
        assertEquals(2, t.wordIndex().get("the"));
        assertArrayEquals(new int[] {2, 3, 1, 1, 2, 1}, t.textsToSequences(TEXTS).get(0));
        assertArrayEquals(new int[] {1}, t.textsToSequences(List.of("zebra")).get(0));
    }

    @Test
    void matrixModes() {
        Tokenizer t = fitted(4, null);
        assertArrayEquals(new float[] {0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1},
                t.textsToMatrix(TEXTS, Tokenizer.Mode.BINARY).data());
        assertArrayEquals(new float[] {0, 2, 1, 0, 0, 1, 0, 1, 0, 0, 2, 1},
                t.textsToMatrix(TEXTS, Tokenizer.Mode.COUNT).data());
        HostTensor freq = t.textsToMatrix(TEXTS, Tokenizer.Mode.FREQ);
        assertEquals(2 / 3f, freq.get(0, 1), 1e-7);
        assertEquals(1 / 3f, freq.get(0, 2), 1e-7);
        // tfidf: (1 + ln c) * ln(1 + 3 documents / (1 + 2 documents with the word))
        HostTensor tfidf = t.textsToMatrix(TEXTS, Tokenizer.Mode.TFIDF);
        assertEquals((1 + Math.log(2)) * Math.log(2), tfidf.get(0, 1), 1e-6);
        assertEquals(Math.log(2), tfidf.get(0, 2), 1e-6);
        assertEquals(0f, tfidf.get(0, 0));
    }

    @Test
    void aSavedTokenizerReadsTextsAsTheFittedOne() {
        Tokenizer t = fitted(4, null);
        Tokenizer back = Tokenizer.fromConfig(t.config());
        for (Tokenizer.Mode m : Tokenizer.Mode.values()) {
            assertArrayEquals(t.textsToMatrix(TEXTS, m).data(), back.textsToMatrix(TEXTS, m).data(), m.id());
        }
    }
}
