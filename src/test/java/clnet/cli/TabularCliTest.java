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

    /** The output units of a saved model. */
    static int outputUnits(Path model) throws Exception {
        try (clnet.backend.cpu.CpuBackend cpu = new clnet.backend.cpu.CpuBackend();
             clnet.nn.Sequential m = clnet.io.ModelFile.load(model, cpu)) {
            return m.outputFeatures();
        }
    }

    /** Two epochs of a small network with {@code loss}, saved to {@code model}; the run, which must succeed. */
    private static CliTest.Run trainWithLoss(String data, String loss, Path model) {
        CliTest.Run r = CliTest.run("train", "--data", data, "--loss", loss, "--layers", "8", "--epochs", "2",
                "--device", "cpu", "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        return r;
    }

    @Test
    void theTargetsAndTheLastLayerFollowTheLoss() throws Exception {
        // sparse: one column of class indices against three softmax units (it failed: "y has 3 columns")
        Path sparse = dir.resolve("sparse.safetensors");
        trainWithLoss("testdata/sklearn/iris.csv", "sparse_categorical_crossentropy", sparse);
        assertEquals(3, outputUnits(sparse));
        CliTest.Run e = CliTest.run("evaluate", "--model", sparse.toString(), "--data", "testdata/sklearn/iris.csv",
                "--device", "cpu");
        assertEquals(0, e.code(), e.err());
        // categorical on two classes: two softmax units, never one (a single softmax unit always gives 1)
        Path two = dir.resolve("two.safetensors");
        CliTest.Run c = trainWithLoss("testdata/sklearn/breast_cancer.csv", "categorical_crossentropy", two);
        assertEquals(2, outputUnits(two));
        assertTrue(value(c, "test loss: ") > 0, c.out());
        CliTest.Run p = CliTest.run("predict", "--model", two.toString(), "--data",
                "testdata/sklearn/breast_cancer.csv", "--limit", "3", "--device", "cpu");
        assertEquals(0, p.code(), p.err());
        // binary on more classes: a sigmoid unit per class on one-hot rows (Keras's multi-label setting)
        Path multi = dir.resolve("multi.safetensors");
        trainWithLoss("testdata/sklearn/iris.csv", "binary_crossentropy", multi);
        assertEquals(3, outputUnits(multi));
        CliTest.Run one = CliTest.run("train", "--data", "testdata/sklearn/breast_cancer.csv", "--loss",
                "binary_crossentropy", "--output-activation", "softmax", "--epochs", "1", "--device", "cpu",
                "--no-save");
        assertEquals(2, one.code(), one.out());
        assertTrue(one.err().contains("softmax over the one output unit always gives 1"), one.err());
        CliTest.Run regression = CliTest.run("train", "--data", "testdata/sklearn/boston_house_prices.csv", "--loss",
                "categorical_crossentropy", "--epochs", "1", "--device", "cpu", "--no-save");
        assertEquals(2, regression.code(), regression.out());
        assertTrue(regression.err().contains("is a regression target"), regression.err());
    }

    @Test
    void rowsWithAnEmptyTargetArePredictedWithoutALabel() throws Exception {
        Path model = dir.resolve("iris.safetensors");
        assertEquals(0, CliTest.run("train", "--data", "testdata/sklearn/iris.csv", "--layers", "8", "--epochs", "2",
                "--device", "cpu", "--save", model.toString()).code());
        // the target column is there, empty in every row: rows to predict (it failed: "target '' is none of the classes")
        Path empty = java.nio.file.Files.writeString(dir.resolve("empty.csv"), "feature_0,feature_1,feature_2,feature_3,"
                + "target\n5.1,3.5,1.4,0.2,\n6.7,3.0,5.2,2.3,\n");
        CliTest.Run p = CliTest.run("predict", "--model", model.toString(), "--data", empty.toString(), "--device",
                "cpu");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().matches("(?s).*\\nrow  class  probability\\n1  \\w+  [01]\\.\\d{4}\\n2  \\w+  [01]\\.\\d{4}\\n"),
                p.out());
        // some rows labelled, some not: the labelled ones are compared and counted
        Path mixed = java.nio.file.Files.writeString(dir.resolve("mixed.csv"), "feature_0,feature_1,feature_2,feature_3,"
                + "target\n5.1,3.5,1.4,0.2,setosa\n6.7,3.0,5.2,2.3,\n");
        CliTest.Run m = CliTest.run("predict", "--model", model.toString(), "--data", mixed.toString(), "--device",
                "cpu");
        assertEquals(0, m.code(), m.err());
        assertTrue(m.out().matches("(?s).*\\n2  \\w+  [01]\\.\\d{4}  -\\n[01] of 1 right \\(of the labelled samples; 1 had"
                + " no label\\)\\n"), m.out());
        // without --data a CSV model is not given MNIST: it says what it needs
        for (String command : new String[] {"evaluate", "predict"}) {
            CliTest.Run r = CliTest.run(command, "--model", model.toString(), "--device", "cpu");
            assertEquals(1, r.code(), r.out());
            assertTrue(r.err().contains(model + " was trained on csv data, not MNIST; name the data it reads with"
                    + " --data"), r.err());
        }
    }

    /** A resumed run holds out the samples the checkpoint's run held out: the split travels in data_config. */
    @Test
    void aResumedRunSplitsTheDataAsTheCheckpointsRunDid() throws Exception {
        String[] common = {"train", "--data", "testdata/sklearn/iris.csv", "--device", "cpu", "--no-save"};
        CliTest.Run straight = CliTest.run(concat(common, "--layers", "8", "--split-seed", "7", "--test-fraction",
                "0.3", "--epochs", "2"));
        assertEquals(0, straight.code(), straight.err());
        Path ck = dir.resolve("split-{epoch}.safetensors");
        CliTest.Run first = CliTest.run(concat(common, "--layers", "8", "--split-seed", "7", "--test-fraction", "0.3",
                "--epochs", "1", "--checkpoint", ck.toString()));
        assertEquals(0, first.code(), first.err());
        CliTest.Run resumed = CliTest.run(concat(common, "--resume", dir.resolve("split-1.safetensors").toString(),
                "--epochs", "2"));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(straight.out().substring(straight.out().indexOf("test loss")),
                resumed.out().substring(resumed.out().indexOf("test loss")), "the same held-out rows, bit for bit");
        CliTest.Run again = CliTest.run(concat(common, "--resume", dir.resolve("split-1.safetensors").toString(),
                "--split-seed", "8"));
        assertEquals(2, again.code(), again.out());
        assertTrue(again.err().contains("--split-seed cannot be combined with --resume"), again.err());
        // a checkpoint of an older version names no split: the options say it, as they did then
        Path old = dir.resolve("old.safetensors");
        try (clnet.backend.cpu.CpuBackend cpu = new clnet.backend.cpu.CpuBackend()) {
            clnet.io.ModelFile.Checkpoint c = clnet.io.ModelFile.loadCheckpoint(dir.resolve("split-1.safetensors"), cpu);
            try (clnet.nn.Sequential m = c.model()) {
                java.util.Map<String, Object> config = new java.util.LinkedHashMap<>(m.dataConfig());
                config.remove("test_fraction");
                config.remove("split_seed");
                m.dataConfig(config);
                clnet.io.ModelFile.save(m, old, c.state());
            }
        }
        CliTest.Run older = CliTest.run(concat(common, "--resume", old.toString(), "--epochs", "2", "--split-seed",
                "7", "--test-fraction", "0.3"));
        assertEquals(0, older.code(), older.err());
        assertEquals(straight.out().substring(straight.out().indexOf("test loss")),
                older.out().substring(older.out().indexOf("test loss")), "split as the options say");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void aCsvOfOneRowIsRefusedNamingTheFile() throws Exception {
        Path one = java.nio.file.Files.writeString(dir.resolve("one.csv"), "a,b\n1,2.5\n");
        CliTest.Run r = CliTest.run("train", "--data", one.toString(), "--epochs", "1", "--device", "cpu", "--no-save");
        assertEquals(1, r.code(), r.out());
        assertEquals(one + ": 1 data row; training needs at least 2 (at least 1 to train on and 1 held out for"
                + " testing)", r.err().strip().replaceFirst("^clnet: error: ", ""));
        // an empty target cell is no class "" to learn (a 0/1 column with blanks became three classes)
        Path blank = java.nio.file.Files.writeString(dir.resolve("blank.csv"), "a,y\n1,0\n2,1\n3,\n4,1\n");
        CliTest.Run b = CliTest.run("train", "--data", blank.toString(), "--epochs", "1", "--device", "cpu", "--no-save");
        assertEquals(1, b.code(), b.out());
        assertEquals(blank + ": line 4: the target 'y' is empty; train and evaluate need a target on every row (predict"
                + " takes rows without one)", b.err().strip().replaceFirst("^clnet: error: ", ""));
    }
}
