package clnet.cli;

import clnet.backend.cpu.CpuBackend;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code clnet summary}: the layer table of a saved model, as Keras's model.summary(). */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a saved model's layers, output shapes and parameter counts.")
final class SummaryCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A model saved by clnet train.")
    Path model;

    @Override
    public Integer call() throws Exception {
        try (CpuBackend backend = new CpuBackend(); Sequential m = ModelFile.load(model, backend)) {
            main.out.print(m.summary());
            if (m.loss() != null) {
                main.out.println("loss: " + m.loss().id() + ", optimizer: " + m.optimizer());
            }
        }
        return 0;
    }
}
