package clnet.cli;

import clnet.backend.Backend;
import clnet.data.Mnist;
import clnet.data.MnistData;
import clnet.io.ModelFile;
import clnet.nn.Dense;
import clnet.nn.Dropout;
import clnet.nn.Initializer;
import clnet.nn.Sequential;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.optim.Optimizer;
import clnet.tensor.HostTensor;
import clnet.train.EvaluationResult;
import clnet.train.Callback;
import clnet.callbacks.CsvLogger;
import clnet.callbacks.EarlyStopping;
import clnet.callbacks.ModelCheckpoint;
import clnet.callbacks.ReduceLROnPlateau;
import clnet.callbacks.TerminateOnNaN;
import clnet.nn.Regularizer;
import clnet.nn.Normalization;
import clnet.data.Tabular;
import clnet.data.TextFolder;
import clnet.data.ImageFolder;
import java.util.Map;
import clnet.ops.Accuracy;
import clnet.train.TrainingState;
import clnet.train.FitOptions;
import clnet.train.History;
import clnet.verify.ValidatingBackend;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clnet train}: a multilayer perceptron on MNIST, or on a TensorFlow Playground data
 * set ({@code --dataset spiral}). The defaults are Keras's
 * {@code mnist_mlp} example: 784 → 512 relu → Dropout(0.2) → 512 relu → Dropout(0.2) → 10
 * softmax, categorical cross-entropy, RMSprop, batches of 128, 20 epochs, validated on the
 * test set after each epoch. {@code TerminateOnNaN} is always on; {@code --resume} continues
 * from a {@code --checkpoint} file.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a multilayer perceptron on MNIST (or a Playground data set, a CSV file, or images or"
                + " texts in class folders), print one progress line per epoch, then the test loss and accuracy, and"
                + " save the model.")
final class TrainCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "DIR",
            description = "MNIST directory (the four IDX files, raw or .gz), a CSV file, or images or texts in class"
                    + " folders (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--layers", defaultValue = "512,512", split = ",", paramLabel = "N",
            description = "Hidden layer widths (default: ${DEFAULT-VALUE}).")
    List<Integer> layers;

    @Option(names = "--activation", defaultValue = "relu",
            description = "Hidden activation: linear, sigmoid, tanh, relu, leaky_relu[:slope], arctan"
                    + " (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--output-activation",
            description = "Output activation (default: softmax; sigmoid for binary_crossentropy).")
    String outputActivation;

    @Option(names = "--initializer", defaultValue = "glorot_uniform",
            description = "Kernel initializer: glorot_uniform, he_normal, he_uniform (default: ${DEFAULT-VALUE}).")
    String initializer;

    @Option(names = "--optimizer", defaultValue = "rmsprop",
            description = "sgd, nesterov, rmsprop, adam (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", description = "Learning rate (default: Keras's for the optimizer: sgd 0.01,"
            + " rmsprop and adam 0.001).")
    Float lr;

    @Option(names = "--momentum", description = "Momentum for sgd, nesterov and rmsprop (default: 0;"
            + " nesterov 0.9).")
    Float momentum;

    @Option(names = "--loss", defaultValue = "categorical_crossentropy",
            description = "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy,"
                    + " mse, mae (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--epochs", defaultValue = "20", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--validation-split", defaultValue = "0", paramLabel = "FRACTION",
            description = "Validate on this last fraction of the training set; 0 validates on the test set,"
                    + " as mnist_mlp does (default: ${DEFAULT-VALUE}).")
    double validationSplit;

    @Option(names = "--seed", defaultValue = "42",
            description = "Seed of the initial weights and the batch order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DeviceOption device;

    @Option(names = "--devices", paramLabel = "all|LIST",
            description = "Train data-parallel on several devices: all (the largest set of identical OpenCL GPUs"
                    + " and accelerators, or of OpenCL CPU devices where there are no others) or a list of devices"
                    + " that compute alike, such as opencl:0:0,opencl:0:1. Each step's batch is split"
                    + " into row blocks, one per device; the model is saved from the first.")
    String devices;

    @Option(names = "--deterministic",
            description = "Cut each batch into " + clnet.train.Trainer.MICRO_SHARDS + " micro-shards whose gradients"
                    + " add up by a fixed tree: 1, 2, 4 or 8 identical devices then train the same weights bit for"
                    + " bit (slower than the default, which is reproducible for a fixed number of devices).")
    boolean deterministic;

    @Option(names = "--save", paramLabel = "PATH",
            description = "Where to save the trained model, replacing a file there (default: NAME.safetensors in"
                    + " the working directory, mnist_mlp for MNIST, or NAME-2, NAME-3, ... if that exists: a file"
                    + " that --save did not name is never replaced).")
    Path save;

    /** Why the model goes where it goes, when --save did not say: printed with the save. */
    private String saveNote = "";

    @Option(names = "--no-save", description = "Do not save the model.")
    boolean noSave;

    @Option(names = "--dropout", paramLabel = "RATE",
            description = "Dropout rate after each hidden layer, as Keras's Dropout(RATE); 0 for none (default: 0.2"
                    + " on MNIST, as mnist_mlp; 0 on Playground data, whose small networks it would only slow).")
    Double dropout;

    @Option(names = "--l1", defaultValue = "0", paramLabel = "FACTOR",
            description = "L1 penalty on every Dense kernel, as Keras's kernel_regularizer=L1(FACTOR), included in"
                    + " the reported loss (default: ${DEFAULT-VALUE}).")
    double l1;

    @Option(names = "--l2", defaultValue = "0", paramLabel = "FACTOR",
            description = "L2 penalty on every Dense kernel, as Keras's kernel_regularizer=L2(FACTOR), included in"
                    + " the reported loss (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--resume", paramLabel = "CHECKPOINT",
            description = "Continue the run saved in a --checkpoint file: its model, optimizer state, epoch, batch"
                    + " order, callbacks' state and device; bit for bit as if it had not stopped. Give the same data"
                    + " and callbacks; --epochs is the total (default: the checkpoint's).")
    Path resume;

    @Option(names = "--early-stopping", paramLabel = "MONITOR:PATIENCE",
            description = "Stop when MONITOR (val_loss, val_accuracy, loss, accuracy) has not improved for PATIENCE"
                    + " epochs, and restore the best epoch's weights (Keras's EarlyStopping).")
    String earlyStopping;

    @Option(names = "--csv-log", paramLabel = "PATH", description = "Write each epoch's metrics to a CSV file as training"
            + " goes (Keras's CSVLogger).")
    Path csvLog;

    @Option(names = "--checkpoint", paramLabel = "PATH", description = "Save the model after each epoch in which"
            + " val_loss improved (Keras's ModelCheckpoint, save_best_only), with what --resume needs. PATH takes"
            + " Keras's fields: 'ck-{epoch:02d}-{val_loss:.4f}.safetensors'.")
    String checkpoint;

    @Option(names = "--reduce-lr-on-plateau", description = "Divide the learning rate by 10 when val_loss has not"
            + " improved for 10 epochs (Keras's ReduceLROnPlateau defaults).")
    boolean reduceLrOnPlateau;

    @CommandLine.Mixin
    PlaygroundOptions playground;

    @CommandLine.Mixin
    CsvOptions csvOptions;

    @CommandLine.Mixin
    TextOptions textOptions;

    @CommandLine.Mixin
    ImageOptions imageOptions;

    @Option(names = "--plot", paramLabel = "DIR",
            description = "Write PNG plots of the run into DIR: the history (and history.csv), the confusion matrix,"
                    + " and test samples (MNIST) or the decision boundary (Playground data).")
    Path plot;

    @Option(names = "--augment", paramLabel = "SPEC",
            description = "Augment every training batch on the device, as Keras's ImageDataGenerator: rotation=DEG,"
                    + " shift=F (or width_shift, height_shift), shear=DEG, zoom=F, flip, fill=nearest|constant, cval=X;"
                    + " for MNIST and image folders.")
    String augment;

    @Option(names = "--validate", description = "Run every op on the CPU reference too, and stop at the first whose"
            + " result differs beyond its tolerance, naming the op, its shapes and the error (many times slower;"
            + " for checking a device or driver).")
    boolean validate;

    /** The options that define the model: a resumed run takes them from its checkpoint. */
    private static final List<String> MODEL_OPTIONS = List.of("--layers", "--activation", "--output-activation",
            "--initializer", "--optimizer", "--lr", "--momentum", "--loss", "--dropout", "--l1", "--l2", "--seed",
            // and how it reads its data (data_config): given again, they would be ignored
            "--num-words", "--text-mode", "--image-size", "--color", "--target", "--inputs", "--task");

    @Override
    public Integer call() throws Exception {
        // Settings first, so a typo fails in a second rather than after loading the data.
        ModelFile.Checkpoint resumed = resume != null ? readCheckpoint() : null;
        if (resumed != null && TrainingData.dataKind(resumed.model()) != null) {
            // the held-out samples of the run resumed, which its data_config names; a checkpoint of an older
            // version names none, and then --test-fraction and --split-seed say them, as they did
            Map<String, Object> config = resumed.model().dataConfig();
            if (config.get("test_fraction") instanceof Number f) {
                require(!given("--test-fraction"), "--test-fraction cannot be combined with --resume: the checkpoint"
                        + " holds out the samples its run held out");
                csvOptions.testFraction = f.doubleValue();
            }
            if (config.get("split_seed") instanceof String seedOfSplit) {
                require(!given("--split-seed"), "--split-seed cannot be combined with --resume: the checkpoint holds"
                        + " out the samples its run held out");
                csvOptions.splitSeed = Long.parseLong(seedOfSplit); // checked when the file was read
            }
        }
        TrainingState state = resumed != null ? resumed.state() : null;
        // a CSV file is read first: its target decides the task, and the task the loss and the last layer
        boolean csv = !playground.given() && CsvOptions.isCsv(data);
        Tabular table = csv ? csvOptions.load(data, spec.commandLine(), resume,
                resumed != null ? resumed.model().dataConfig() : null) : null;
        if (table != null && table.rows() < 2) {
            // the seeded split holds out at least one row for testing: one row would leave none to train on
            throw new clnet.data.CsvFormatException(data, table.rows() + " data row; training needs at least 2 (at"
                    + " least 1 to train on and 1 held out for testing)");
        }
        boolean imageData = !playground.given() && !csv && ImageFolder.looksLike(data);
        require(csvOptions.testFraction > 0 && csvOptions.testFraction < 1, "--test-fraction must be in (0, 1)");
        ImageFolder[] imageSplit = !imageData ? null : (resumed != null
                ? ImageOptions.read(data, TrainingData.requireDataModel(resumed.model(), resume, "images"))
                : imageOptions.load(data, spec.commandLine())).split(csvOptions.testFraction, csvOptions.splitSeed);
        boolean textData = !playground.given() && !csv && !imageData && TextFolder.looksLike(data);
        TextFolder[] textSplit = textData ? TextFolder.read(data, resumed == null ? null
                : TextOptions.classes(TrainingData.requireDataModel(resumed.model(), resume, "text")))
                .split(csvOptions.testFraction, csvOptions.splitSeed) : null;
        List<String> folderClasses = textSplit != null ? textSplit[0].classes()
                : imageSplit != null ? imageSplit[0].classes() : null;
        Tabular.Task task = table != null ? table.task() : folderClasses == null ? null
                : folderClasses.size() == 2 ? Tabular.Task.BINARY : Tabular.Task.MULTICLASS;
        Loss lossFn = resumed != null ? resumed.model().loss() : given("--loss") || task == null
                ? parse(() -> Loss.parse(loss), "--loss")
                : task == Tabular.Task.REGRESSION ? Loss.MEAN_SQUARED_ERROR
                : task == Tabular.Task.BINARY ? Loss.BINARY_CROSSENTROPY : Loss.CATEGORICAL_CROSSENTROPY;
        // the targets and the last layer follow the loss, as on Playground data: sparse takes class indices,
        // categorical one-hot rows, binary one sigmoid unit for two classes (one per class, multi-label, for more)
        int classCount = table != null ? table.classes().size() : folderClasses != null ? folderClasses.size()
                : playground.given() ? 2 : 10;
        boolean crossEntropy = lossFn == Loss.CATEGORICAL_CROSSENTROPY || lossFn == Loss.SPARSE_CATEGORICAL_CROSSENTROPY
                || lossFn == Loss.BINARY_CROSSENTROPY;
        require(task != Tabular.Task.REGRESSION || !crossEntropy, "--loss: " + lossFn.id() + " needs classes, but '"
                + (table == null ? "" : table.target()) + "' of " + data + " is a regression target; use"
                + " mean_squared_error or mean_absolute_error, or --task binary or multiclass");
        int outputs = task == Tabular.Task.REGRESSION ? 1 : TrainingData.classOutputs(lossFn, classCount);
        Activation hidden = parse(() -> Activation.parse(activation), "--activation");
        Activation output = parse(() -> Activation.parse(outputActivation != null ? outputActivation
                : task == Tabular.Task.REGRESSION ? "linear" : lossFn == Loss.BINARY_CROSSENTROPY ? "sigmoid"
                : "softmax"),
                "--output-activation");
        require(outputs != 1 || output.kind() != Activation.Kind.SOFTMAX, "--output-activation: softmax over the one"
                + " output unit always gives 1; use sigmoid");
        Initializer init = parse(() -> Initializer.parse(initializer), "--initializer");
        Optimizer opt = parse(() -> Optimizer.create(optimizer, lr, momentum), "--optimizer/--lr/--momentum");
        int totalEpochs = state != null && !given("--epochs") ? state.epochs() : epochs;
        int batch = state != null && !given("--batch-size") ? state.batchSize() : batchSize;
        require(totalEpochs >= 1, "--epochs must be at least 1");
        require(batch >= 1, "--batch-size must be at least 1");
        require(validationSplit >= 0 && validationSplit < 1, "--validation-split must be in [0, 1)");
        double dropoutRate = dropout != null ? dropout : playground.given() || csv ? 0 : textData ? 0.5 : 0.2;
        Map<String, Object> imageConfig = imageSplit == null ? null : ImageOptions.config(imageSplit[0]);
        clnet.ops.Augmentation augmentation = augment == null ? null
                : parse(() -> clnet.ops.Augmentation.parse(augment), "--augment");
        int[] imageShape = imageSplit != null
                ? new int[] {imageSplit[0].height(), imageSplit[0].width(), imageSplit[0].rgb() ? 3 : 1}
                : new int[] {28, 28, 1};
        require(augmentation == null || imageSplit != null || (!csv && !textData && !playground.given()),
                "--augment needs images: MNIST or a folder of images");
        require(dropoutRate >= 0 && dropoutRate < 1, "--dropout must be in [0, 1)");
        require(l1 >= 0 && l2 >= 0 && Double.isFinite(l1) && Double.isFinite(l2), "--l1 and --l2 must be >= 0");
        Regularizer regularizer = l1 > 0 || l2 > 0 ? Regularizer.l1l2(l1, l2) : null;
        if (state != null) {
            require(state.epoch() < totalEpochs, "--resume: " + resume + " has completed " + state.epoch()
                    + " epochs; give --epochs above that to train on");
        }
        TerminateOnNaN terminateOnNaN = new TerminateOnNaN();
        List<Callback> callbacks = new ArrayList<>();
        callbacks.add(terminateOnNaN); // first: later callbacks then see the weights it puts back
        EarlyStopping stopEarly = earlyStopping == null ? null : earlyStopping(earlyStopping);
        if (stopEarly != null) {
            callbacks.add(stopEarly);
        }
        if (csvLog != null) {
            callbacks.add(new CsvLogger(csvLog));
        }
        if (reduceLrOnPlateau) {
            callbacks.add(ReduceLROnPlateau.kerasDefaults());
        }
        for (int width : layers) {
            require(width >= 1, "--layers widths must be positive: " + layers);
        }
        if (!noSave) {
            if (save == null) {
                String base = resumed != null ? resumed.model().name() : playground.given()
                        ? playground.dataset.trim().toLowerCase(Locale.ROOT) + "_mlp" : csv || textData || imageData ? csvName() : "mnist_mlp";
                save = freePath(base);
                if (!save.toString().equals(base + ".safetensors")) {
                    saveNote = " (" + base + ".safetensors exists; clnet replaces a file only when --save names it)";
                }
            }
            // now, not after the training it would otherwise throw away
            try {
                ModelFile.checkWritable(save);
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--save: " + Main.message(e));
            }
        }

        if (checkpoint != null) {
            parse(() -> {
                ModelCheckpoint.checkPattern(checkpoint);
                return checkpoint;
            }, "--checkpoint");
        }
        if (plot != null) {
            // the plots are written after training: a file where the directory belongs is refused now
            require(!java.nio.file.Files.exists(plot) || java.nio.file.Files.isDirectory(plot), "--plot: " + plot
                    + ": is not a directory; --plot names a directory for the PNG files");
            Usage.requireWritable(spec.commandLine(), "--plot", plot.resolve("history.csv"),
                    plot.resolve("history.png"), plot.resolve("confusion.png"), plot.resolve("samples.png"),
                    plot.resolve("boundary.png"));
        }
        for (Path log : csvLog == null ? List.<Path>of() : List.of(csvLog)) {
            try {
                clnet.files.SafeFiles.requireWritable(log);
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--csv-log: " + Main.message(e));
            }
        }

        PrintStream out = main.out;
        TrainingData in;
        Map<String, Object> textConfig = null;
        if (textSplit != null) {
            textConfig = resumed != null ? resumed.model().dataConfig() : textOptions.fit(textSplit[0],
                    textSplit[0].texts().size() + textSplit[1].texts().size(), data, spec.commandLine());
            in = new TrainingData(csvName(), TextOptions.matrix(resume, textConfig, textSplit[0].texts()),
                    TrainingData.targets(lossFn, textSplit[0].labels(), outputs),
                    TextOptions.matrix(resume, textConfig, textSplit[1].texts()),
                    TrainingData.targets(lossFn, textSplit[1].labels(), outputs), textSplit[1].labels(), outputs,
                    null, null, null);
        } else if (imageSplit != null) {
            in = new TrainingData(csvName(), imageSplit[0].x(), TrainingData.targets(lossFn, imageSplit[0].labels(),
                    outputs), imageSplit[1].x(), TrainingData.targets(lossFn, imageSplit[1].labels(), outputs),
                    imageSplit[1].labels(), outputs, null, null, null);
        } else if (table != null) {
            Tabular[] split = table.split(csvOptions.testFraction, csvOptions.splitSeed);
            in = TrainingData.csv(csvName(), split[0], split[1], lossFn, outputs);
        } else {
            in = playground.given() ? TrainingData.playground(playground, spec.commandLine(), lossFn)
                    : TrainingData.mnist(data, lossFn);
        }
        int classes = in.outputs();
        HostTensor xTrain = in.xTrain();
        HostTensor yTrain = in.yTrain();
        HostTensor xTest = in.xTest();
        HostTensor yTest = in.yTest();
        Backend opened;
        if (resumed != null) {
            require(resumed.model().inputFeatures() == xTrain.cols() && resumed.model().outputFeatures() == classes,
                    "--resume: " + resume + " takes " + resumed.model().inputFeatures() + " inputs and gives "
                            + resumed.model().outputFeatures() + " outputs; this data has " + xTrain.cols() + " and "
                            + classes);
        }
        // --devices, or a checkpoint written on several devices and no --device: a device group
        List<String> groupNames = null;
        if (devices != null) {
            require(!given("--device"), "--device and --devices: give one");
            require(!validate, "--validate checks one device: it cannot be combined with --devices");
            try {
                groupNames = clnet.device.DeviceGroup.names(devices);
            } catch (IllegalArgumentException e) {
                require(false, "--devices: " + e.getMessage());
            }
        } else if (resumed != null && !given("--device") && !validate && state.device() != null
                && state.device().contains(",")) {
            try {
                groupNames = clnet.device.DeviceGroup.names(state.device());
            } catch (IllegalArgumentException e) {
                // not a list of distinct devices (CPU backends in a program): its first device
            }
        }
        boolean microShards = deterministic || (state != null && state.deterministic());
        clnet.device.DeviceGroup group = null;
        if (groupNames != null) {
            int count = groupNames.size();
            require(!microShards || clnet.train.Trainer.MICRO_SHARDS % count == 0, (deterministic ? "--deterministic"
                    : "the checkpoint's deterministic mode") + " cuts each"
                    + " batch into " + clnet.train.Trainer.MICRO_SHARDS + " micro-shards: it runs on 1, 2, 4 or 8"
                    + " devices, not " + count);
            try {
                group = clnet.device.DeviceGroup.open(groupNames);
            } catch (IllegalArgumentException e) { // a device that is not there, or one device named twice
                require(false, "--devices: " + e.getMessage());
            }
            out.println("devices: " + group.size() + (microShards ? ", deterministic" : ""));
            for (Backend b : group.backends()) {
                out.println("device: " + b.description());
            }
        }
        if (group != null) {
            opened = group.primary();
        } else if (resumed != null) {
            // the checkpoint's device unless another is named: bit for bit needs the same backend
            opened = given("--device") || state.device() == null ? device.open(out)
                    : DeviceOption.open(state.device().split(",")[0], out);
        } else {
            int[] widths = new int[layers.size() + 2];
            widths[0] = xTrain.cols();
            for (int i = 0; i < layers.size(); i++) {
                widths[i + 1] = layers.get(i);
            }
            widths[widths.length - 1] = classes;
            opened = device.openFor(widths, batch, out); // the device line comes first
        }
        out.println(xTrain.rows() + " train samples");
        out.println(xTest.rows() + " test samples");

        Backend checked;
        try {
            checked = validate ? new ValidatingBackend(opened) : opened;
        } catch (RuntimeException e) {
            opened.close(); // the run never starts: nothing else will close the device
            throw e;
        }
        try (clnet.device.DeviceGroup closesGroup = group;
             Backend backend = checked;
             Sequential model = resumed != null ? ModelFile.load(resume, backend) : new Sequential(backend)) {
            if (validate) {
                out.println("validate: every op is checked against the CPU reference");
            }
            if (resumed == null) {
                model.name(in.name()).seed(seed);
                int inputs = xTrain.cols();
                if (table != null) {
                    // Keras's Normalization, adapted to the training rows: the saved model takes raw rows
                    model.add(new Normalization().adapt(xTrain));
                    model.dataConfig(withSplit(table.config()));
                }
                if (textConfig != null) {
                    model.dataConfig(withSplit(textConfig)); // the vocabulary: the saved model reads new texts as these
                }
                if (imageConfig != null) {
                    model.dataConfig(withSplit(imageConfig)); // size, colour and class names: predict reads them so
                }
                for (int width : layers) {
                    Dense d = new Dense(width, hidden).kernelInitializer(init).kernelRegularizer(regularizer);
                    model.add(model.layers().isEmpty() ? d.inputShape(inputs) : d);
                    if (dropoutRate > 0) {
                        model.add(new Dropout(dropoutRate));
                    }
                }
                Dense last = new Dense(classes, output).kernelInitializer(init).kernelRegularizer(regularizer);
                model.add(model.layers().isEmpty() ? last.inputShape(inputs) : last);
                model.compile(opt, lossFn, task == Tabular.Task.REGRESSION ? Accuracy.MEAN_ABSOLUTE_ERROR : null);
            } else {
                out.printf(Locale.ROOT, "resuming %s after epoch %d of %d%n", resume, state.epoch(), totalEpochs);
            }
            out.print(model.summary());

            if (checkpoint != null) {
                callbacks.add(new ModelCheckpoint(model, checkpoint, "val_loss", true));
            }
            FitOptions fit = new FitOptions().epochs(totalEpochs).batchSize(batch).seed(model.seed()).out(out)
                    .callbacks(callbacks.toArray(new Callback[0])).resumeFrom(state).deterministic(deterministic);
            if (group != null) {
                fit.devices(group.backends());
            }
            if (augmentation != null) {
                fit.augment(augmentation, imageShape[0], imageShape[1], imageShape[2]);
            }
            if (validationSplit > 0) {
                fit.validationSplit(validationSplit);
            } else {
                fit.validationData(xTest, yTest);
            }
            History history = model.fit(xTrain, yTrain, fit);
            if (terminateOnNaN.terminated()) {
                throw diverged(model, terminateOnNaN, stopEarly, out);
            }

            EvaluationResult test = model.evaluate(xTest, yTest, batch, 0, out);
            NonFinite.requireFiniteLoss(test.loss(), () -> model.predict(xTest, batch), "the trained model",
                    "the test set");
            out.printf(Locale.ROOT, "test loss: %.4f%n", test.loss());
            out.printf(Locale.ROOT, "test %s: %.4f%n", model.metricName(), test.accuracy());
            if (!noSave) {
                save(model, out);
            }
            if (plot != null) {
                // the one place train touches the plotting code (and its library): only with --plot
                for (Path written : PlotCommand.afterTraining(model, history, in, plot)) {
                    out.println("wrote " + written);
                }
            }
        }
        return 0;
    }

    /**
     * The model's name for a CSV file or a folder: its name without the extension, then
     * {@code _mlp}; the real name of {@code .} or {@code dir/..}, and no leading dot (the
     * saved model would be a hidden file).
     */
    private String csvName() {
        Path name = data.toAbsolutePath().normalize().getFileName();
        String f = name == null ? "data" : name.toString().replaceFirst("^\\.+", "");
        int dot = f.lastIndexOf('.');
        f = dot > 0 ? f.substring(0, dot) : f;
        return (f.isEmpty() ? "data" : f) + "_mlp";
    }

    /** A data_config with the split of the samples, so that a resumed run holds out the same ones. */
    private Map<String, Object> withSplit(Map<String, Object> config) {
        Map<String, Object> c = new java.util.LinkedHashMap<>(config);
        c.put("test_fraction", csvOptions.testFraction);
        c.put("split_seed", Long.toString(csvOptions.splitSeed)); // a string: JSON numbers lose 64-bit values
        return c;
    }

    /** {@code base.safetensors}, or the first of {@code base-2.safetensors}, ... that does not exist. */
    private static Path freePath(String base) {
        Path p = Path.of(base + ".safetensors");
        for (int i = 2; java.nio.file.Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS); i++) {
            p = Path.of(base + "-" + i + ".safetensors");
        }
        return p;
    }

    /** Whether {@code option} was given on the command line (not just defaulted). */
    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The checkpoint, read on the CPU for its settings; refuses options that would redefine its model. */
    private ModelFile.Checkpoint readCheckpoint() throws java.io.IOException {
        for (String option : MODEL_OPTIONS) {
            require(!given(option), option + " cannot be combined with --resume: the checkpoint defines the model"
                    + " and how it reads its data");
        }
        ModelFile.Checkpoint c;
        try (Backend cpu = clnet.device.Backends.open("cpu:reference")) {
            c = ModelFile.loadCheckpoint(resume, cpu);
            c.model().close(); // only its settings are needed here; the run loads it again on its device
        }
        if (c.state() == null || c.model().optimizer() == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + resume + " is a model without"
                    + " a training state; resume from a file written by --checkpoint");
        }
        return c;
    }

    /**
     * The error after TerminateOnNaN stopped a run: where the loss went bad, and, when saving
     * was asked for, the last good epoch's weights saved (it put them back in the model).
     */
    private IllegalStateException diverged(Sequential model, TerminateOnNaN stop, EarlyStopping stopEarly,
                                           PrintStream out) throws java.io.IOException {
        String kept;
        // TerminateOnNaN put back the last good epoch; --early-stopping then the best one, when training ended
        int best = stopEarly == null ? -1 : stopEarly.restoredEpoch();
        if (noSave) {
            kept = "nothing saved (--no-save)";
        } else if (stop.lastGoodEpoch() < 0 && best < 0) {
            kept = "nothing saved: no epoch ended well before it";
        } else {
            save(model, out);
            kept = best >= 0
                    ? String.format(Locale.ROOT, "saved the weights of epoch %d, the best before it, to %s", best + 1, save)
                    : String.format(Locale.ROOT, "saved the weights of epoch %d, the last with a finite loss, to %s",
                    stop.lastGoodEpoch() + 1, save);
        }
        return new IllegalStateException(stop.reason() + "; training stopped, " + kept + ". Lower the learning rate"
                + " (--lr) or check the data for extreme values");
    }

    private EarlyStopping earlyStopping(String spec) {
        String[] parts = spec.split(":");
        String monitor = parts[0].trim();
        require(parts.length == 2 && List.of("loss", "accuracy", "val_loss", "val_accuracy").contains(monitor),
                "--early-stopping must be MONITOR:PATIENCE with MONITOR one of loss, accuracy, val_loss,"
                        + " val_accuracy, got '" + spec + "'");
        int patience = parse(() -> {
            try {
                int p = Integer.parseInt(parts[1].trim());
                if (p < 0) {
                    throw new IllegalArgumentException("patience must not be negative, got " + p);
                }
                return p;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("patience '" + parts[1] + "' is not a whole number");
            }
        }, "--early-stopping");
        return new EarlyStopping(monitor, patience, 0, true);
    }

    /** Saves the model; if that fails after all, saves it to a temporary file so the training is not lost. */
    private void save(Sequential model, PrintStream out) throws java.io.IOException {
        try {
            ModelFile.save(model, save);
            out.println("saved model to " + save + saveNote);
        } catch (java.io.IOException e) {
            Path rescue = java.nio.file.Files.createTempFile(model.name() + "-", ".safetensors");
            ModelFile.save(model, rescue);
            throw new java.io.IOException("could not save the model to " + save + " (" + Main.message(e)
                    + "); saved it to " + rescue + " instead", e);
        }
    }

    private <T> T parse(java.util.function.Supplier<T> parser, String option) {
        return Usage.parse(spec.commandLine(), option, parser);
    }

    private void require(boolean ok, String message) {
        Usage.require(spec.commandLine(), ok, message);
    }
}
