package clnet.cli;

import clnet.data.TextFolder;
import clnet.data.Tokenizer;
import clnet.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Texts in class folders as {@code --data}: Keras's Tokenizer, a bag of words per text. */
final class TextOptions {
    @Option(names = "--num-words", defaultValue = "10000", paramLabel = "N",
            description = "Texts: the vocabulary, the N - 1 most frequent words of the training texts (Keras's"
                    + " num_words, index 0 counted), 2 to 1048576 (default: ${DEFAULT-VALUE}).")
    int numWords;

    @Option(names = "--text-mode", defaultValue = "binary", paramLabel = "MODE",
            description = "Texts: binary, count, tfidf or freq, as Keras's texts_to_matrix (default: ${DEFAULT-VALUE}).")
    String mode;

    /** A tokenizer fitted to the training texts, and the settings that read texts as it does. */
    Map<String, Object> fit(TextFolder train, int texts, java.nio.file.Path dir, CommandLine cl) {
        Usage.require(cl, numWords >= 2 && numWords <= Tokenizer.MAX_NUM_WORDS, "--num-words must be from 2 to "
                + Tokenizer.MAX_NUM_WORDS + ", got " + numWords);
        // each text is a row of numWords values: the matrix is checked before it is allocated
        Usage.require(cl, (long) texts * numWords <= clnet.data.Datasets.maxValues(), "--num-words: " + texts
                + " texts of " + numWords + " values are more than clnet holds in memory ("
                + clnet.data.Datasets.maxValues() + " values) for " + dir + "; give a smaller --num-words");
        Tokenizer.Mode m = Usage.parse(cl, "--text-mode", () -> Tokenizer.Mode.parse(mode));
        Tokenizer t = new Tokenizer(numWords, Tokenizer.DEFAULT_FILTERS, true, null).fitOnTexts(train.texts());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "text");
        c.put("mode", m.id());
        c.put("classes", train.classes());
        c.put("tokenizer", t.config());
        return c;
    }

    /** The texts as a saved model reads them. */
    @SuppressWarnings("unchecked")
    static HostTensor matrix(java.nio.file.Path model, Map<String, Object> saved, List<String> texts) {
        try {
            Tokenizer t = Tokenizer.fromConfig((Map<String, Object>) saved.get("tokenizer"));
            return t.textsToMatrix(texts, Tokenizer.Mode.parse((String) saved.get("mode")));
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException((model == null ? "the model" : model) + ": its data_config is not a text model's: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> classes(Map<String, Object> saved) {
        return (List<String>) saved.get("classes");
    }
}
