package clnet.cli;

import clnet.backend.Backend;
import clnet.data.Mnist;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.train.EvaluationResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code clnet evaluate}: a saved model's loss and accuracy on the MNIST test set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a saved model's loss and accuracy on the MNIST test set.")
final class EvaluateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A model saved by clnet train.")
    Path model;

    @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "DIR",
            description = "MNIST directory (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--loss", description = "Loss to report (default: the one the model was trained with).")
    String loss;

    @Option(names = "--batch-size", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        PrintStream out = main.out;
        Mnist.Part test = Mnist.loadSplit(data, Mnist.Split.TEST);
        try (Backend backend = device.open(out); Sequential m = ModelFile.load(model, backend)) {
            if (loss != null || m.loss() == null) {
                m.compile(Loss.parse(loss != null ? loss : "categorical_crossentropy")); // no optimizer: nothing trains
            }
            EvaluationResult r = m.evaluate(test.images(),
                    TrainingData.targets(m.loss(), test.labels(), m.outputFeatures()), Math.max(1, batchSize), 1, out);
            out.printf(Locale.ROOT, "test loss: %.4f%n", r.loss());
            out.printf(Locale.ROOT, "test accuracy: %.4f%n", r.accuracy());
        }
        return 0;
    }
}
