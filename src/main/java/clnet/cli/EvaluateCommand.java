package clnet.cli;

import clnet.backend.Backend;
import clnet.tensor.HostTensor;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.train.EvaluationResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code clnet evaluate}: a saved model's loss and accuracy on the data it was trained to read. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a saved model's loss and accuracy (a regression: mae) on --data: the MNIST test set,"
                + " or data of the kind the model was trained on.")
final class EvaluateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A model saved by clnet train.")
    Path model;

    @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "DIR",
            description = "MNIST directory (its test set), a CSV file with the columns the model was trained on, or"
                    + " images or texts in class folders (default: ${DEFAULT-VALUE}, for an MNIST model only).")
    Path data;

    @Option(names = "--loss", description = "Loss to report (default: the one the model was trained with).")
    String loss;

    @Option(names = "--batch-size", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    DeviceOption device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Usage.require(spec.commandLine(), batchSize >= 1, "--batch-size must be at least 1");
        Loss chosen = loss == null ? null : Usage.parse(spec.commandLine(), "--loss", () -> Loss.parse(loss));
        PrintStream out = main.out;
        try (Backend backend = device.open(out); Sequential m = ModelFile.load(model, backend)) {
            if (chosen != null || m.loss() == null) {
                boolean mae = m.loss() != null && m.metricName().equals("mae"); // a regression keeps its metric
                m.compile(null, chosen != null ? chosen : Loss.CATEGORICAL_CROSSENTROPY,
                        mae ? clnet.ops.Accuracy.MEAN_ABSOLUTE_ERROR : null); // no optimizer: nothing trains
            }
            SavedModelData d = SavedModelData.load(data, m, model);
            HostTensor x = d.x();
            HostTensor y = d.y();
            EvaluationResult r = m.evaluate(x, y, batchSize, 1, out);
            NonFinite.requireFiniteLoss(r.loss(), () -> m.predict(x, batchSize), model.toString(),
                    d.what());
            out.printf(Locale.ROOT, "test loss: %.4f%n", r.loss());
            out.printf(Locale.ROOT, "test %s: %.4f%n", m.metricName(), r.accuracy());
        }
        return 0;
    }
}
