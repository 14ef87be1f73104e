package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tabular CSV from the command line, on scikit-learn's data sets (testdata/sklearn): a
 * seeded 80/20 split, a Normalization layer adapted to the training rows, the last layer
 * chosen by the task; the saved model evaluates and predicts raw rows of the file.
 */
class TabularCliTest {
    @TempDir
    Path dir;

    private static double value(CliTest.Run r, String prefix) {
        return Double.parseDouble(r.out().lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow()
                .substring(prefix.length()));
    }

    @Test
    void breastCancerIsClassifiedAboveNinetyFivePercent() {
        Path model = dir.resolve("cancer.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/sklearn/breast_cancer.csv", "--layers", "32,32",
                "--epochs", "60", "--batch-size", "32", "--device", "cpu", "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("normalization (Normalization)"), r.out());
        assertTrue(value(r, "test accuracy: ") >= 0.95, r.out()); // 0.9912 here
        CliTest.Run p = CliTest.run("predict", "--model", model.toString(), "--data",
                "testdata/sklearn/breast_cancer.csv", "--limit", "5", "--device", "cpu");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().matches("(?s).*\\n1  (malignant|benign)  [01]\\.\\d{4}  malignant.*"), p.out());
    }

    @Test
    void bostonHousePricesAreWithinThreeThousandDollars() throws Exception {
        Path model = dir.resolve("boston.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/sklearn/boston_house_prices.csv", "--layers", "64,64",
                "--epochs", "200", "--batch-size", "32", "--device", "cpu", "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("val_mae: "), "a regression reports MAE, as Keras with metrics=[mae]");
        assertTrue(value(r, "test mae: ") <= 3.0, r.out()); // 2.71 here
        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--data",
                "testdata/sklearn/boston_house_prices.csv", "--device", "cpu");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("test mae: "), e.out());
        CliTest.Run mae = CliTest.run("evaluate", "--model", model.toString(), "--data",
                "testdata/sklearn/boston_house_prices.csv", "--loss", "mae", "--device", "cpu");
        assertTrue(mae.out().contains("test mae: "), "another loss keeps the regression's metric: " + mae.out());
        // new rows to price: no MEDV column at all
        java.util.List<String> lines = java.nio.file.Files.readAllLines(Path.of("testdata/sklearn/boston_house_prices.csv"));
        StringBuilder unlabelled = new StringBuilder();
        for (String line : lines.subList(1, 6)) {
            unlabelled.append(line, 0, line.lastIndexOf(',')).append('\n');
        }
        Path fresh = java.nio.file.Files.writeString(dir.resolve("new-rows.csv"), unlabelled);
        CliTest.Run p = CliTest.run("predict", "--model", model.toString(), "--data", fresh.toString(), "--device",
                "cpu");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().matches("(?s).*\\n  1  +\\d+\\.\\d{4}       -\\n.*"), p.out());
        CliTest.Run wrong = CliTest.run("evaluate", "--model", model.toString(), "--data", "testdata/sklearn/iris.csv",
                "--device", "cpu");
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("no column 'CRIM'"), wrong.err()); // the model's first input
    }
}
