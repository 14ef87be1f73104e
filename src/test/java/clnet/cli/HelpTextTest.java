package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Help and messages that say what the commands do: no MNIST-only wording where other data is taken. */
class HelpTextTest {
    @Test
    void predictAndEvaluateSayTheyTakeEveryKindOfData() {
        CliTest.Run p = CliTest.run("predict", "--help");
        assertEquals(0, p.code());
        String predict = p.out().replaceAll("\\s+", " ");
        assertFalse(predict.contains("MNIST test images"), predict);
        assertTrue(predict.contains("a CSV file") && predict.contains("images or texts in class folders"), predict);
        assertTrue(predict.contains("'N of M right' counts the labelled rows"), predict);
        CliTest.Run e = CliTest.run("evaluate", "--help");
        assertTrue(e.out().replaceAll("\\s+", " ").contains("images or texts in class folders"), e.out());
        CliTest.Run t = CliTest.run("train", "--help");
        String help = t.out().replaceAll("\\s+", " ");
        assertFalse(help.contains("CSV: the share"), help);
        assertTrue(help.contains("CSV, text and image folders: the share of samples held out"), help);
        assertTrue(help.contains("CSV, text and image folders: the seed of that shuffle"), help);
    }

    @Test
    void plotWithoutASubcommandListsEveryPlot() {
        CliTest.Run r = CliTest.run("plot");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("activations, history, confusion, samples, boundary or augment"), r.err());
    }

    @Test
    void aModelOfDataNamedByDotGetsTheFoldersRealName() {
        // "testdata/spam-subset/ham/.." is the folder spam-subset: not "._mlp", a hidden file
        CliTest.Run r = CliTest.run("train", "--data", "testdata/spam-subset/ham/..", "--num-words", "50", "--layers",
                "4", "--epochs", "1", "--device", "cpu", "--no-save");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Model: \"spam-subset_mlp\""), r.out());
    }
}
