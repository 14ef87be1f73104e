package clnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.Tensors;
import clnet.backend.cpu.CpuBackend;
import clnet.data.Datasets;
import clnet.data.Mnist;
import clnet.nn.Dense;
import clnet.nn.Initializer;
import clnet.nn.Layer;
import clnet.nn.Sequential;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.train.FitOptions;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files: a trained model survives a save and load bit for bit, the file is plain
 * safetensors, writes are atomic, and damaged or foreign files are refused with a
 * {@link ModelFileException} that names the file and the problem.
 */
class ModelFileTest {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /** 300 real MNIST images and their one-hot labels, from the committed subset. */
    private static HostTensor images;
    private static HostTensor targets;

    private final CpuBackend backend = new CpuBackend();

    @TempDir
    Path dir;

    @BeforeAll
    static void loadSubset() throws IOException {
        Mnist.Part train = Mnist.loadSplit(Path.of("testdata/mnist-subset"), Mnist.Split.TRAIN);
        images = train.images().rowRange(0, 300);
        targets = Datasets.toCategorical(Arrays.copyOf(train.labels(), 300), 10);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    /** 784 → 16 leaky_relu(0.1), he_normal → 10 softmax, RMSprop with non-default settings. */
    private Sequential model() {
        Sequential m = new Sequential(backend).name("roundtrip").seed(7);
        m.add(new Dense(16, Activation.leakyRelu(0.1f)).kernelInitializer(Initializer.HE_NORMAL).inputShape(784));
        m.add(new Dense(10, "softmax"));
        m.compile(new RMSprop(0.002f, 0.8f, 0.5f, 1e-6f), Loss.CATEGORICAL_CROSSENTROPY);
        return m;
    }

    private Sequential trainedModel() {
        Sequential m = model();
        m.fit(images, targets, new FitOptions().epochs(1).batchSize(32).verbose(0)
                .out(new PrintStream(new ByteArrayOutputStream(), true)));
        return m;
    }

    /** A good file, saved from a briefly trained model. */
    private Path goodFile() throws IOException {
        Path p = dir.resolve("good.safetensors");
        try (Sequential m = trainedModel()) {
            ModelFile.save(m, p);
        }
        return p;
    }

    // ---------------------------------------------------------------- round trip

    @Test
    void roundTripKeepsPredictionsBitForBitAndTheWholeConfig() throws IOException {
        Path p = dir.resolve("m.safetensors");
        try (Sequential m = trainedModel()) {
            assertTrue(m.optimizer().iterations() > 0);
            ModelFile.save(m, p);
            HostTensor before = m.predict(images);
            List<HostTensor> weights = m.getWeights();

            try (CpuBackend other = new CpuBackend(); Sequential loaded = ModelFile.load(p, other)) {
                assertArrayEquals(before.data(), loaded.predict(images).data(), "predictions after load");
                List<HostTensor> loadedWeights = loaded.getWeights();
                assertEquals(weights.size(), loadedWeights.size());
                for (int i = 0; i < weights.size(); i++) {
                    assertEquals(weights.get(i).shape(), loadedWeights.get(i).shape());
                    assertArrayEquals(weights.get(i).data(), loadedWeights.get(i).data(), "weight tensor " + i);
                }

                assertEquals("roundtrip", loaded.name());
                assertEquals(7L, loaded.seed());
                assertEquals(784 * 16 + 16 + 16 * 10 + 10, loaded.paramCount());
                List<Layer> layers = loaded.layers();
                assertEquals(2, layers.size());
                Dense first = (Dense) layers.get(0);
                Dense second = (Dense) layers.get(1);
                assertEquals("dense", first.name());
                assertEquals("dense_1", second.name());
                assertEquals(16, first.units());
                assertEquals(10, second.units());
                assertEquals(784, first.inputFeatures());
                assertEquals(784, first.declaredInputFeatures());
                assertEquals(16, second.inputFeatures());
                assertEquals(Activation.leakyRelu(0.1f), first.activation());
                assertEquals(0.1f, first.activation().alpha());
                assertEquals(Activation.SOFTMAX, second.activation());
                assertEquals(Initializer.HE_NORMAL, first.kernelInitializer());
                assertEquals(Initializer.GLOROT_UNIFORM, second.kernelInitializer());

                assertEquals(Loss.CATEGORICAL_CROSSENTROPY, loaded.loss());
                assertEquals("rmsprop", loaded.optimizer().id());
                assertEquals(m.optimizer().config(), loaded.optimizer().config());
                assertEquals(0.002f, loaded.optimizer().learningRate());
                assertEquals(m.optimizer().iterations(), loaded.optimizer().iterations(), "optimizer state resumes");
                assertEquals(m.summary(), loaded.summary());
            }
        }
    }

    /** A Java program's own data_config (no kind) loads; the fields clnet reads are checked all the same. */
    @Test
    void aFreeFormDataConfigLoadsButItsSplitIsChecked() throws IOException {
        Path p = dir.resolve("notes.safetensors");
        try (Sequential m = trainedModel()) {
            m.dataConfig(java.util.Map.of("source", "my scanner"));
            ModelFile.save(m, p);
        }
        try (Sequential back = ModelFile.load(p, backend)) {
            assertEquals("my scanner", back.dataConfig().get("source"));
        }
        try (Sequential m = trainedModel()) {
            m.dataConfig(java.util.Map.of("split_seed", "mine"));
            ModelFile.save(m, p);
        }
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(p, backend));
        assertTrue(e.getMessage().contains("'split_seed' must be a 64-bit integer in a string"), e.getMessage());
    }

    /** The model's step count outlives a new optimizer and a file: a later fit goes on, it does not replay. */
    @Test
    void stepsTakenUnderAnEarlierOptimizerAreKept() throws IOException {
        Path p = dir.resolve("tuned.safetensors");
        try (Sequential m = trainedModel()) { // 10 steps of RMSprop
            m.compile(new clnet.optim.SGD(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
            m.fit(images.rowRange(0, 64), targets.rowRange(0, 64), new FitOptions().epochs(1).batchSize(32).verbose(0)
                    .out(new PrintStream(new ByteArrayOutputStream(), true)));
            assertEquals(12, m.stepsTaken());
            assertEquals(2, m.optimizer().iterations());
            ModelFile.save(m, p);
        }
        try (Sequential back = ModelFile.load(p, backend)) {
            assertEquals(12, back.stepsTaken());
            assertEquals(2, back.optimizer().iterations());
        }
        try (Sequential fresh = trainedModel()) {
            ModelFile.save(fresh, p); // no optimizer replaced: no steps_taken in the file
            assertFalse(new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .contains("steps_taken"));
        }
    }

    @Test
    void randomWeightsOfAnUncompiledModelRoundTripWithoutCompileSettings() throws IOException {
        Path p = dir.resolve("plain.safetensors");
        Rng rng = new Rng(11);
        HostTensor x = Tensors.uniform(rng, -1f, 1f, 5, 3);
        HostTensor before;
        try (Sequential m = new Sequential(backend)) {
            m.add(new Dense(4, "tanh").inputShape(3));
            m.add(new Dense(2, Activation.parse("leaky_relu")).kernelInitializer(Initializer.HE_UNIFORM));
            m.build(3);
            m.setWeights(List.of(Tensors.uniform(rng, -2f, 2f, 3, 4), Tensors.uniform(rng, -2f, 2f, 1, 4),
                    Tensors.uniform(rng, -2f, 2f, 4, 2), Tensors.uniform(rng, -2f, 2f, 1, 2)));
            before = m.predict(x);
            ModelFile.save(m, p);
        }
        try (Sequential loaded = ModelFile.load(p, backend)) {
            assertNull(loaded.loss());
            assertNull(loaded.optimizer());
            assertEquals(Activation.LEAKY_RELU, ((Dense) loaded.layers().get(1)).activation());
            assertEquals(Initializer.HE_UNIFORM, ((Dense) loaded.layers().get(1)).kernelInitializer());
            assertArrayEquals(before.data(), loaded.predict(x).data());
        }
    }

    // ---------------------------------------------------------------- the file is safetensors

    @Test
    void fileIsValidSafetensors() throws IOException {
        Path p = dir.resolve("m.safetensors");
        List<HostTensor> weights;
        try (Sequential m = trainedModel()) {
            ModelFile.save(m, p);
            weights = new ArrayList<>(m.getWeights());
            weights.addAll(m.optimizer().slotValues().values()); // per weight: velocity, momentum
        }
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertTrue(n > 0 && n < bytes.length - 8, "header length " + n);
        assertEquals(0, (8 + n) % 8, "the data section starts 8-byte aligned");
        JsonObject header = JsonParser.parseString(new String(bytes, 8, (int) n, StandardCharsets.UTF_8))
                .getAsJsonObject();

        JsonObject meta = header.getAsJsonObject("__metadata__");
        assertEquals("clnet", meta.get("format").getAsString());
        assertEquals("1", meta.get("format_version").getAsString());
        JsonObject config = JsonParser.parseString(meta.get("model_config").getAsString()).getAsJsonObject();
        assertEquals("Sequential", config.get("class_name").getAsString());
        assertEquals("categorical_crossentropy",
                config.getAsJsonObject("compile_config").get("loss").getAsString());
        // safetensors metadata is a map of strings to strings
        meta.entrySet().forEach(e -> assertTrue(e.getValue().isJsonPrimitive()
                && e.getValue().getAsJsonPrimitive().isString(), e.getKey()));

        // four weights, then RMSprop's two slots (with momentum) per weight, and the metadata
        String[] weightNames = {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"};
        long[][] weightShapes = {{784, 16}, {1, 16}, {16, 10}, {1, 10}};
        String[] names = new String[12];
        long[][] shapes = new long[12][];
        for (int i = 0; i < 4; i++) {
            names[i] = weightNames[i];
            shapes[i] = weightShapes[i];
            names[4 + 2 * i] = "optimizer/" + weightNames[i] + "/velocity";
            names[5 + 2 * i] = "optimizer/" + weightNames[i] + "/momentum";
            shapes[4 + 2 * i] = weightShapes[i];
            shapes[5 + 2 * i] = weightShapes[i];
        }
        assertEquals(names.length + 1, header.size(), "twelve tensors and the metadata");
        assertTrue(meta.get("optimizer_state").getAsString().matches("\\{\"iterations\":\\d+,\"learning_rate\":0\\.002\\}"),
                meta.get("optimizer_state").getAsString());
        long expectedOffset = 0;
        long dataStart = 8 + n;
        for (int i = 0; i < names.length; i++) {
            JsonObject t = header.getAsJsonObject(names[i]);
            assertEquals("F32", t.get("dtype").getAsString(), names[i]);
            JsonArray shape = t.getAsJsonArray("shape");
            assertArrayEquals(shapes[i], new long[] {shape.get(0).getAsLong(), shape.get(1).getAsLong()}, names[i]);
            assertEquals(2, shape.size());
            JsonArray offsets = t.getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            assertEquals(expectedOffset, begin, names[i] + " begins where the previous tensor ends");
            assertEquals(4 * shapes[i][0] * shapes[i][1], end - begin, names[i] + " byte count");
            // the bytes are the weights, float32 little-endian
            float[] stored = new float[(int) ((end - begin) / 4)];
            ByteBuffer.wrap(bytes, (int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(stored);
            assertArrayEquals(weights.get(i).data(), stored, names[i] + " data");
            expectedOffset = end;
        }
        assertEquals(3 * 4L * (784 * 16 + 16 + 16 * 10 + 10), expectedOffset);
        assertEquals(8 + n + expectedOffset, bytes.length, "file size = 8 + header + tensor bytes");
    }

    // ---------------------------------------------------------------- atomic writes

    @Test
    void saveLeavesOnlyTheModelAndReplacesAnExistingFile() throws IOException {
        Path p = dir.resolve("m.safetensors");
        Files.writeString(p, "an older file that is not a model");
        try (Sequential m = trainedModel()) {
            ModelFile.save(m, p);
            assertEquals(List.of(p.getFileName().toString()), listNames(dir));
            HostTensor expected = m.predict(images);
            try (Sequential loaded = ModelFile.load(p, backend)) {
                assertArrayEquals(expected.data(), loaded.predict(images).data());
            }
            // saving again over a good model gives the same bytes and still no leftovers
            byte[] first = Files.readAllBytes(p);
            ModelFile.save(m, p);
            assertArrayEquals(first, Files.readAllBytes(p));
            assertEquals(List.of(p.getFileName().toString()), listNames(dir));
        }
    }

    @Test
    void aModelWithNonFiniteWeightsIsNotWrittenAndTheOldFileStays() throws IOException {
        Path p = dir.resolve("m.safetensors");
        Files.writeString(p, "the model before");
        try (Sequential m = model()) {
            List<HostTensor> w = m.getWeights();
            w.get(2).data()[5] = Float.POSITIVE_INFINITY;
            m.setWeights(w);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ModelFile.save(m, p));
            assertEquals(p + ": not saved: weight " + m.parameters().get(2).name()
                    + " holds Infinity (element 5 of " + w.get(2).data().length + "); the model diverged", e.getMessage());
        }
        assertEquals("the model before", Files.readString(p));
        assertEquals(List.of(p.getFileName().toString()), listNames(dir));
    }

    @Test
    void saveCreatesMissingParentDirectories() throws IOException {
        Path p = dir.resolve("a/b/m.safetensors");
        try (Sequential m = model()) {
            ModelFile.save(m, p);
        }
        assertTrue(Files.isRegularFile(p));
        assertEquals(List.of("m.safetensors"), listNames(p.getParent()));
    }

    @Test
    void failedSaveThrowsIOExceptionAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("taken.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "x");
        try (Sequential m = model()) {
            assertThrows(IOException.class, () -> ModelFile.save(m, target));
        }
        assertEquals(List.of("taken.safetensors"), listNames(dir));
        assertTrue(Files.isDirectory(target));
        assertEquals(List.of("keep.txt"), listNames(target));
    }

    private static List<String> listNames(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(q -> q.getFileName().toString()).sorted().toList();
        }
    }

    // ---------------------------------------------------------------- hostile files

    /** Loads {@code p}, expecting a ModelFileException; returns its message after checking the path prefix. */
    private String refused(Path p) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(p, backend));
        assertTrue(e.getMessage().startsWith(p + ": "), "message starts with the path: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** A safetensors file with the given header JSON (padded to 8 bytes) and data. */
    private static byte[] file(String headerJson, byte[] data) {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        b.put(data);
        return b.array();
    }

    /** The good file's header, edited, over its unchanged data section. */
    private Path edited(String name, Consumer<JsonObject> edit) throws IOException {
        byte[] good = Files.readAllBytes(goodFile());
        long n = ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(good, 8, (int) n, StandardCharsets.UTF_8))
                .getAsJsonObject();
        edit.accept(header);
        return write(name, file(GSON.toJson(header), Arrays.copyOfRange(good, (int) (8 + n), good.length)));
    }

    /** Edits the model_config JSON string inside the metadata. */
    private static Consumer<JsonObject> editConfig(Consumer<JsonObject> edit) {
        return header -> {
            JsonObject meta = header.getAsJsonObject("__metadata__");
            JsonObject config = JsonParser.parseString(meta.get("model_config").getAsString()).getAsJsonObject();
            edit.accept(config);
            meta.addProperty("model_config", GSON.toJson(config));
        };
    }

    private static JsonObject layerConfig(JsonObject modelConfig, int layer) {
        return modelConfig.getAsJsonObject("config").getAsJsonArray("layers").get(layer).getAsJsonObject()
                .getAsJsonObject("config");
    }

    @Test
    void editingHelperAloneKeepsTheFileLoadable() throws IOException {
        // the edits below break exactly one thing: an identity edit must still load
        Path p = edited("same.safetensors", h -> { });
        try (Sequential m = ModelFile.load(p, backend)) {
            assertEquals(2, m.layers().size());
        }
    }

    @Test
    void emptyFile() throws IOException {
        Path p = write("empty.safetensors", new byte[0]);
        assertEquals(p + ": too short for a safetensors file (0 bytes)", refused(p));
    }

    @Test
    void fewerThanEightBytes() throws IOException {
        Path p = write("short.safetensors", new byte[] {16, 0, 0, 0, 0});
        assertEquals(p + ": too short for a safetensors file (5 bytes)", refused(p));
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        byte[] bytes = file("{\"__metadata__\":{\"format\":\"clnet\"}}", new byte[0]);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        Path p = write("long-header.safetensors", bytes);
        assertEquals(p + ": not a safetensors file: header length " + bytes.length + " in a file of " + bytes.length
                + " bytes", refused(p));

        // a text file read as safetensors: its first 8 bytes make a huge length
        Path text = write("text.safetensors", "hello, this is not a model\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(refused(text).startsWith(text + ": not a safetensors file: header length "));
    }

    @Test
    void headerNotJson() throws IOException {
        Path p = write("not-json.safetensors", file("{this is : not json", new byte[0]));
        assertEquals(p + ": the header is not valid JSON: malformed JSON at line 1 column 3 path $.", refused(p));

        Path array = write("array.safetensors", file("[1, 2, 3]", new byte[0]));
        assertEquals(array + ": the header is not a JSON object", refused(array));
    }

    @Test
    void jsonWithoutMetadata() throws IOException {
        Path p = edited("no-meta.safetensors", h -> h.remove("__metadata__"));
        assertEquals(p + ": the header has no object '__metadata__'", refused(p));
    }

    @Test
    void formatNotClnet() throws IOException {
        Path p = edited("pt.safetensors", h -> h.getAsJsonObject("__metadata__").addProperty("format", "pt"));
        assertEquals(p + ": a safetensors file, but not a clnet model (format 'pt')", refused(p));

        Path none = edited("no-format.safetensors", h -> h.getAsJsonObject("__metadata__").remove("format"));
        assertEquals(none + ": __metadata__ has no string 'format'", refused(none));
    }

    @Test
    void otherFormatVersion() throws IOException {
        Path p = edited("v2.safetensors",
                h -> h.getAsJsonObject("__metadata__").addProperty("format_version", "2"));
        assertEquals(p + ": clnet model format version 2; this clnet reads version 1", refused(p));
    }

    @Test
    void truncatedDataSection() throws IOException {
        byte[] good = Files.readAllBytes(goodFile());
        Path p = write("cut.safetensors", Arrays.copyOf(good, good.length - 6));
        String m = refused(p);
        assertTrue(m.startsWith(p + ": optimizer/dense_1/bias/momentum: data_offsets "), m);
        assertTrue(m.contains("truncated"), m);

        // cut inside the first tensor: the first one found short is named
        long n = ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Path deep = write("cut-deep.safetensors", Arrays.copyOf(good, (int) (8 + n + 100)));
        String md = refused(deep);
        // found before the model is built: the config needs more bytes than the data section has
        assertTrue(md.startsWith(deep + ": model_config declares weights of more than 100 bytes (layer dense"
                + " reaches 50240), but the file holds 100 bytes of tensors"), md);
    }

    @Test
    void extraBytesAfterTheTensors() throws IOException {
        byte[] good = Files.readAllBytes(goodFile());
        Path p = write("long.safetensors", Arrays.copyOf(good, good.length + 4));
        long dataBytes = 3 * 4L * (784 * 16 + 16 + 16 * 10 + 10); // weights and two slots each
        assertEquals(p + ": the data section holds " + (dataBytes + 4) + " bytes but the tensors cover " + dataBytes,
                refused(p));
    }

    @Test
    void tensorShapeDisagreesWithTheConfig() throws IOException {
        Path p = edited("shape.safetensors", h -> {
            JsonArray shape = new JsonArray();
            shape.add(16);
            shape.add(784);
            h.getAsJsonObject("dense/kernel").add("shape", shape);
        });
        assertEquals(p + ": dense/kernel has shape [16, 784] but the model config needs (784, 16)", refused(p));

        // the config says 11 outputs, the tensors hold 10
        Path units = edited("units.safetensors", editConfig(c -> layerConfig(c, 1).addProperty("units", 11)));
        assertEquals(units + ": dense_1/kernel has shape [16, 10] but the model config needs (16, 11)",
                refused(units));
    }

    @Test
    void missingTensor() throws IOException {
        Path p = edited("missing.safetensors", h -> h.remove("dense_1/kernel"));
        assertEquals(p + ": the header has no object 'dense_1/kernel'", refused(p));
    }

    @Test
    void otherDtype() throws IOException {
        Path p = edited("f16.safetensors", h -> h.getAsJsonObject("dense/bias").addProperty("dtype", "F16"));
        assertEquals(p + ": dense/bias has dtype F16; clnet models are F32", refused(p));
    }

    @Test
    void nanWeight() throws IOException {
        byte[] good = Files.readAllBytes(goodFile());
        long n = ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ByteBuffer b = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        // dense/bias starts right after the 784 x 16 kernel; poison its third value
        b.putFloat((int) (8 + n + 4L * 784 * 16 + 4L * 2), Float.NaN);
        Path p = write("nan.safetensors", good);
        assertEquals(p + ": dense/bias holds NaN at index 2", refused(p));

        b.putFloat((int) (8 + n), Float.NEGATIVE_INFINITY);
        Path inf = write("inf.safetensors", good);
        assertEquals(inf + ": dense/kernel holds -Infinity at index 0", refused(inf));
    }

    @Test
    void badLayerConfigs() throws IOException {
        Path cls = edited("conv.safetensors", editConfig(c -> c.getAsJsonObject("config").getAsJsonArray("layers")
                .get(1).getAsJsonObject().addProperty("class_name", "Conv2D")));
        assertEquals(cls + ": unknown layer class 'Conv2D' (known: Dense, Dropout, Normalization)", refused(cls));

        Path act = edited("act.safetensors", editConfig(c -> layerConfig(c, 1).addProperty("activation", "swish")));
        assertTrue(refused(act).startsWith(act + ": bad model_config: unknown activation 'swish'"));

        Path loss = edited("loss.safetensors", editConfig(c -> c.getAsJsonObject("compile_config")
                .addProperty("loss", "hinge")));
        assertTrue(refused(loss).startsWith(loss + ": bad model_config: unknown loss 'hinge'"));

        Path layers = edited("no-layers.safetensors", editConfig(c -> c.getAsJsonObject("config")
                .add("layers", new JsonArray())));
        assertEquals(layers + ": model_config has no layers", refused(layers));

        Path noUnits = edited("no-units.safetensors", editConfig(c -> layerConfig(c, 0).remove("units")));
        assertEquals(noUnits + ": layer dense has no number 'units'", refused(noUnits));

        Path objUnits = edited("obj-units.safetensors",
                editConfig(c -> layerConfig(c, 0).add("units", new JsonObject())));
        assertEquals(objUnits + ": layer dense has no number 'units'", refused(objUnits));

        Path halfUnits = edited("half-units.safetensors",
                editConfig(c -> layerConfig(c, 0).addProperty("units", 16.5)));
        assertEquals(halfUnits + ": layer dense has 'units' 16.5, not an integer", refused(halfUnits));

        Path zeroUnits = edited("zero-units.safetensors",
                editConfig(c -> layerConfig(c, 1).addProperty("units", 0)));
        assertEquals(zeroUnits + ": bad model_config: Dense needs a positive number of units, got 0",
                refused(zeroUnits));

        Path noActivation = edited("no-activation.safetensors",
                editConfig(c -> layerConfig(c, 1).remove("activation")));
        assertEquals(noActivation + ": layer dense_1 has no string 'activation'", refused(noActivation));

        Path seed = edited("seed.safetensors", editConfig(c -> c.getAsJsonObject("config").add("seed",
                new JsonArray())));
        assertEquals(seed + ": model_config has no number 'seed'", refused(seed));

        Path noInput = edited("no-input.safetensors", editConfig(c -> layerConfig(c, 0).remove("input_dim")));
        assertEquals(noInput + ": first layer has no input_dim", refused(noInput));

        Path config = edited("config.safetensors",
                h -> h.getAsJsonObject("__metadata__").addProperty("model_config", "[not an object"));
        assertTrue(refused(config).startsWith(config + ": model_config is not valid JSON"), refused(config));
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("absent.safetensors");
        assertEquals(p + ": no such model file", refused(p));
    }

    @Test
    void directoryInsteadOfAFile() throws IOException {
        Path p = Files.createDirectory(dir.resolve("folder.safetensors"));
        assertEquals(p + ": is a directory, not a model file", refused(p));
    }

    @Test
    void tensorsSharingBytesAreRefused() throws IOException {
        // dense/bias moved onto the first bytes of dense/kernel: the sizes still add up
        // differently, and the ranges overlap
        Path p = edited("overlap.safetensors", h -> {
            com.google.gson.JsonArray offsets = new com.google.gson.JsonArray();
            offsets.add(0);
            offsets.add(4 * 16);
            h.getAsJsonObject("dense/bias").add("data_offsets", offsets);
        });
        assertTrue(refused(p).contains("byte ranges overlap at byte 0"), refused(p));
    }

    // ---------------------------------------------------------------- strict formats (issue: leniency the docs deny)

    /** The good file's header text, changed by {@code edit}, over its data. */
    private Path textEdited(String name, java.util.function.UnaryOperator<String> edit) throws IOException {
        byte[] good = Files.readAllBytes(goodFile());
        long n = ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String json = new String(good, 8, (int) n, StandardCharsets.UTF_8).strip();
        return write(name, file(edit.apply(json), Arrays.copyOfRange(good, (int) (8 + n), good.length)));
    }

    @Test
    void headersAreStrictJson() throws IOException {
        assertTrue(refused(textEdited("comment.safetensors", j -> "/* hi */" + j)).contains("not valid JSON"));
        assertTrue(refused(textEdited("quotes.safetensors", j -> j.replaceFirst("\"__metadata__\"",
                "'__metadata__'"))).contains("not valid JSON"));
        assertTrue(refused(textEdited("unquoted.safetensors", j -> j.replaceFirst("\"__metadata__\"",
                "__metadata__"))).contains("not valid JSON"));
        String duplicate = refused(textEdited("duplicate.safetensors", j -> j.replaceFirst("\\{",
                "{\"dense/bias\": {}, ")));
        assertTrue(duplicate.contains("duplicate name \"dense/bias\""), duplicate);
        String deep = refused(write("deep.safetensors", file("{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}",
                new byte[0])));
        assertTrue(deep.contains("nested deeper than"), deep);
    }

    @Test
    void sizesMustBeIntegers() throws IOException {
        Path fraction = edited("fraction.safetensors", h -> {
            JsonObject t = h.getAsJsonObject("dense/bias");
            JsonArray shape = new JsonArray();
            shape.add(1.5);
            shape.add(16);
            t.add("shape", shape);
        });
        assertTrue(refused(fraction).contains("shape and data_offsets must be lists of non-negative integers"),
                refused(fraction));
        Path nul = edited("null.safetensors", h -> {
            JsonArray shape = new JsonArray();
            shape.add(com.google.gson.JsonNull.INSTANCE);
            h.getAsJsonObject("dense/bias").add("shape", shape);
        });
        assertTrue(refused(nul).contains("[null]"), refused(nul));
    }

    /** A config of 10^9 units in a small file is refused before anything is allocated for it. */
    @Test
    void aConfigTheTensorsCannotBackIsRefusedBeforeBuilding() throws IOException {
        Path huge = edited("huge.safetensors", editConfig(c -> layerConfig(c, 1).addProperty("units", 1_000_000_000)));
        String m = refused(huge);
        assertTrue(m.contains("model_config declares weights of more than"), m);
    }

    /** 100,000 layers are refused in linear time (a duplicate-name check per layer was quadratic). */
    @Test
    @org.junit.jupiter.api.Timeout(60) // a hang guard, not a timing: 89 s before, well under a second now
    void aHundredThousandLayersAreRefusedQuickly() throws IOException {
        Path many = edited("many.safetensors", editConfig(c -> {
            JsonArray layers = c.getAsJsonObject("config").getAsJsonArray("layers");
            JsonObject last = layers.get(layers.size() - 1).getAsJsonObject();
            for (int i = 0; i < 100_000; i++) {
                JsonObject l = last.deepCopy();
                l.addProperty("name", "extra_" + i);
                l.getAsJsonObject("config").addProperty("units", 1);
                l.getAsJsonObject("config").remove("input_dim");
                layers.add(l);
            }
        }));
        String m = refused(many);
        assertTrue(m.contains("has no object 'extra_") || m.contains("declares weights"), m);
    }
}
