package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Texts in class folders from the command line: 200 real e-mails of the SpamAssassin corpus
 * (testdata/spam-subset), a bag of words through Keras's Tokenizer, the vocabulary kept with
 * the model so that predict reads new texts.
 */
class TextCliTest {
    @TempDir
    Path dir;

    @Test
    void spamIsToldFromHamAndTheSavedModelReadsNewTexts() throws Exception {
        Path model = dir.resolve("spam.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/spam-subset", "--num-words", "2000", "--layers", "64",
                "--epochs", "10", "--batch-size", "16", "--device", "cpu", "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        double accuracy = Double.parseDouble(r.out().lines().filter(l -> l.startsWith("test accuracy: ")).findFirst()
                .orElseThrow().substring("test accuracy: ".length()));
        assertTrue(accuracy >= 0.9, r.out()); // 0.975 here, on 40 held-out e-mails
        Path mail = Files.list(Path.of("testdata/spam-subset/spam")).sorted().findFirst().orElseThrow();
        CliTest.Run p = CliTest.run("predict", "--model", model.toString(), "--data", mail.toString(), "--device", "cpu");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().matches("(?s).*  (spam|ham)  [01]\\.\\d{4}\\n"), p.out());
        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--data", "testdata/spam-subset",
                "--device", "cpu");
        assertEquals(0, e.code(), e.err());
        // a mail without the .txt its folder gave it is still a text to a text model
        Path bare = Files.copy(mail, dir.resolve("mail-without-extension"));
        CliTest.Run b = CliTest.run("predict", "--model", model.toString(), "--data", bare.toString(), "--device", "cpu");
        assertEquals(0, b.code(), b.err());
        // a folder with a class the model does not know is refused, not mislabelled
        Path three = dir.resolve("three");
        for (String c : java.util.List.of("ham", "spam", "other")) {
            Files.createDirectories(three.resolve(c));
            Files.copy(mail, three.resolve(c).resolve("m.txt"));
        }
        CliTest.Run other = CliTest.run("evaluate", "--model", model.toString(), "--data", three.toString(),
                "--device", "cpu");
        assertEquals(1, other.code());
        assertTrue(other.err().contains("holds a class folder 'other' the model does not know"), other.err());
        CliTest.Run wrong = CliTest.run("evaluate", "--model", model.toString(), "--data",
                "testdata/sklearn/iris.csv", "--device", "cpu");
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("was trained on text data, not csv"), wrong.err());
    }

    @Test
    void sparseCrossEntropyOnTextsTrainsOneSoftmaxUnitPerClass() throws Exception {
        Path model = dir.resolve("sparse.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/spam-subset", "--num-words", "300", "--layers", "8",
                "--loss", "sparse_categorical_crossentropy", "--epochs", "2", "--device", "cpu", "--save",
                model.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, TabularCliTest.outputUnits(model)); // it was one softmax unit, whose output is always 1
        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--data", "testdata/spam-subset",
                "--device", "cpu");
        assertEquals(0, e.code(), e.err());
    }
}
