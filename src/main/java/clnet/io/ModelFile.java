package clnet.io;

import clnet.backend.Backend;
import clnet.files.SafeFiles;
import clnet.nn.Layer;
import clnet.nn.LayerConfig;
import clnet.nn.LayerRegistry;
import clnet.backend.Parameter;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Optimizer;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import clnet.train.History;
import clnet.train.TrainingState;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads models as one safetensors file (see {@code docs/MODEL_FORMAT.md}): an
 * 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
 * and byte range, then the float32 weights, little-endian. The model's architecture and
 * compile settings ride in the header's {@code __metadata__} as a Keras-like JSON
 * config, so the file is both a complete clnet model and plain safetensors that other
 * tools can read.
 *
 * <p>Writes are atomic: the file is written beside the target under a temporary name,
 * flushed to disk, then renamed over it, so a crash leaves the old model or the new one,
 * never half of one.
 */
public final class ModelFile {
    public static final String FORMAT = "clnet";
    public static final String FORMAT_VERSION = "1";

    /** Headers beyond this are refused before they are read (ours are a few kilobytes). */
    private static final long MAX_HEADER_BYTES = 16L << 20;

    /** The largest file read: it is read into one array. */
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /** Callbacks' weight lists are tensors named {@code callbacks/<callback>/<entry>/<parameter>}. */
    static final String CALLBACK_PREFIX = "callbacks/";
    /** In the training state's JSON, the value of an entry whose tensors follow in the file. */
    static final String WEIGHTS_MARK = "@weights";

    /** A model read with where its training stood: {@code state} is null in a file saved without one. */
    public record Checkpoint(Sequential model, TrainingState state) {
    }

    /** The optimizer's slots are tensors named {@code optimizer/<parameter>/<slot>}. */
    static final String OPTIMIZER_PREFIX = "optimizer/";

    private ModelFile() {
    }

    // ---------------------------------------------------------------- save

    public static void save(Sequential model, Path path) throws IOException {
        save(model, path, null);
    }

    /**
     * Saves the model with {@code state}, where its training stands (a checkpoint that
     * {@code --resume} continues from; {@link #loadCheckpoint} reads it back), unless null.
     */
    public static void save(Sequential model, Path path, TrainingState state) throws IOException {
        List<String> names = new ArrayList<>();
        List<HostTensor> weights = new ArrayList<>(model.getWeights());
        for (Parameter p : model.parameters()) {
            names.add(p.name());
        }
        // the optimizer's state once it has taken steps, so that training can resume exactly
        Optimizer optimizer = model.optimizer();
        boolean withState = optimizer != null && optimizer.iterations() > 0;
        if (withState) {
            for (Map.Entry<String, HostTensor> slot : optimizer.slotValues().entrySet()) {
                names.add(OPTIMIZER_PREFIX + slot.getKey());
                weights.add(slot.getValue());
            }
        }
        Map<String, Object> training = null;
        if (state != null) {
            training = trainingStateJson(model, state, names, weights);
        }
        requireFinite(path, names, weights);

        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("format_version", FORMAT_VERSION);
        metadata.put("model_config", GSON.toJson(modelConfig(model)));
        if (withState) {
            Map<String, Object> optimizerState = new LinkedHashMap<>();
            optimizerState.put("iterations", optimizer.iterations());
            optimizerState.put("learning_rate", optimizer.learningRate());
            metadata.put("optimizer_state", GSON.toJson(optimizerState));
        }
        Map<String, Map<String, String>> layerState = new LinkedHashMap<>();
        for (Layer l : model.layers()) {
            // sorted: a layer's map may iterate in any order (Map.of's differs between runs), the file must not
            Map<String, String> ls = new java.util.TreeMap<>();
            l.state().forEach((k, v) -> ls.put(k, Long.toString(v))); // strings: JSON numbers lose 64-bit values
            if (!ls.isEmpty()) {
                layerState.put(l.name(), ls);
            }
        }
        if (!layerState.isEmpty()) {
            metadata.put("layer_state", GSON.toJson(layerState));
        }
        if (model.stepsTaken() > (optimizer == null ? 0 : optimizer.iterations())) {
            // steps under optimizers compile replaced: a later fit goes on from the model's count
            metadata.put("steps_taken", Long.toString(model.stepsTaken()));
        }
        if (model.dataConfig() != null) {
            metadata.put("data_config", GSON.toJson(model.dataConfig()));
        }
        if (training != null) {
            metadata.put("training_state", GSON.toJson(training));
        }
        header.put("__metadata__", metadata);
        long offset = 0;
        for (int i = 0; i < names.size(); i++) {
            HostTensor w = weights.get(i);
            long bytes = 4L * w.shape().size();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", w.shape().dims());
            entry.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(names.get(i), entry);
            offset += bytes;
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data starts 8-byte aligned, as the spec recommends
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        SafeFiles.writeAtomically(path, out -> {
            out.write(head);
            for (HostTensor w : weights) {
                ByteBuffer b = ByteBuffer.allocate(4 * w.data().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(w.data());
                out.write(b);
            }
        });
    }

    /** A number for strict JSON: NaN and the infinities (a best value before the first epoch) as strings. */
    private static Object jsonNumber(double v) {
        return Double.isFinite(v) ? (Object) v : Double.toString(v);
    }

    /** The training state as JSON; callbacks' weight lists join {@code names} and {@code tensors}. */
    private static Map<String, Object> trainingStateJson(Sequential model, TrainingState state, List<String> names,
                                                         List<HostTensor> tensors) {
        List<Parameter> params = model.parameters();
        Map<String, Object> callbacks = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Object>> c : state.callbacks().entrySet()) {
            Map<String, Object> entries = new LinkedHashMap<>();
            // in key order: the file must not depend on a map's iteration order (Map.of's differs between runs)
            for (Map.Entry<String, Object> e : new java.util.TreeMap<>(c.getValue()).entrySet()) {
                if (e.getValue() instanceof Number n) {
                    entries.put(e.getKey(), jsonNumber(n.doubleValue()));
                } else if (e.getValue() instanceof List<?> list && list.size() == params.size()) {
                    for (int i = 0; i < params.size(); i++) {
                        names.add(CALLBACK_PREFIX + c.getKey() + "/" + e.getKey() + "/" + params.get(i).name());
                        tensors.add((HostTensor) list.get(i));
                    }
                    entries.put(e.getKey(), WEIGHTS_MARK);
                } else {
                    throw new IllegalArgumentException("callback " + c.getKey() + " has state '" + e.getKey()
                            + "' that is neither a number nor one tensor per weight");
                }
            }
            callbacks.put(c.getKey(), entries);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("epoch", state.epoch());
        json.put("epochs", state.epochs());
        json.put("batch_size", state.batchSize());
        json.put("shuffle_state", Long.toString(state.shuffleState()));
        Map<String, List<Object>> history = new LinkedHashMap<>();
        state.history().history().forEach((k, v) -> history.put(k, v.stream().map(ModelFile::jsonNumber).toList()));
        json.put("history", history);
        json.put("callbacks", callbacks);
        json.put("device", state.device());
        if (state.deterministic()) {
            json.put("deterministic", true); // absent otherwise: files of one-device runs stay as they were
        }
        if (state.firstStep() != 0) {
            json.put("first_step", Long.toString(state.firstStep())); // absent for a first fit, as before
        }
        return json;
    }

    /**
     * A model whose weights hold NaN or an infinity (it diverged) is never written as if it
     * were good: nothing is written, and the message names the weight and the element.
     */
    private static void requireFinite(Path path, List<String> names, List<HostTensor> weights) {
        for (int i = 0; i < names.size(); i++) {
            float[] d = weights.get(i).data();
            for (int j = 0; j < d.length; j++) {
                if (!Float.isFinite(d[j])) {
                    throw new IllegalStateException(path + ": not saved: weight " + names.get(i) + " holds "
                            + d[j] + " (element " + j + " of " + d.length + "); the model diverged");
                }
            }
        }
    }

    /**
     * Fails now, with the reason, if {@link #save} could not write {@code path}: it is a
     * directory, or its directory cannot be created or written. For checking a destination
     * before hours of training rather than after.
     */
    public static void checkWritable(Path path) throws IOException {
        SafeFiles.requireWritable(path);
        Path probe = SafeFiles.temporarySibling(path.toAbsolutePath());
        FileChannel.open(probe, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW).close();
        Files.delete(probe);
    }

    private static Map<String, Object> modelConfig(Sequential model) {
        List<Object> layers = new ArrayList<>();
        for (Layer l : model.layers()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("class_name", l.type());
            entry.put("name", l.name());
            entry.put("config", l.config());
            layers.add(entry);
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", model.name());
        config.put("seed", model.seed());
        config.put("layers", layers);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("class_name", "Sequential");
        root.put("config", config);
        if (model.loss() != null && model.optimizer() != null) {
            Map<String, Object> optimizer = new LinkedHashMap<>();
            optimizer.put("class_name", model.optimizer().id());
            optimizer.put("config", model.optimizer().config());
            Map<String, Object> compile = new LinkedHashMap<>();
            compile.put("loss", model.loss().id());
            compile.put("metrics", List.of(model.metricName()));
            compile.put("optimizer", optimizer);
            root.put("compile_config", compile);
        }
        return root;
    }

    // ---------------------------------------------------------------- load

    /**
     * Reads a model into {@code backend}: architecture, weights and, when the file has them,
     * the loss and optimizer (with fresh optimizer state).
     */
    public static Sequential load(Path path, Backend backend) throws IOException {
        return loadCheckpoint(path, backend).model();
    }

    /**
     * Reads a model as {@link #load} does, with where its training stood when it was saved as a
     * checkpoint (null otherwise), for {@code FitOptions.resumeFrom}.
     */
    public static Checkpoint loadCheckpoint(Path path, Backend backend) throws IOException {
        byte[] bytes;
        String problem = SafeFiles.unreadable(path, "a model file");
        if (problem != null) {
            throw new ModelFileException(path + ": " + (problem.equals("no such file") ? "no such model file" : problem));
        }
        if (Files.size(path) > MAX_FILE_BYTES) {
            throw new ModelFileException(path + ": " + Files.size(path) + " bytes; clnet model files hold at most "
                    + MAX_FILE_BYTES + " (a 2 GiB array)");
        }
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(path + ": no such model file");
        } catch (AccessDeniedException e) {
            throw new ModelFileException(path + ": permission denied");
        }
        Reader r = new Reader(path, bytes);
        Sequential model = new Sequential(backend);
        try {
            return new Checkpoint(model, r.build(model));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Parses and checks one file's bytes. */
    private static final class Reader {
        private final Path path;
        private final byte[] bytes;
        private final JsonObject header;
        private final long dataStart;

        Reader(Path path, byte[] bytes) throws ModelFileException {
            this.path = path;
            this.bytes = bytes;
            if (bytes.length < 8) {
                throw fail("too short for a safetensors file (" + bytes.length + " bytes)");
            }
            long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > MAX_HEADER_BYTES || n > bytes.length - 8L) {
                throw fail("not a safetensors file: header length " + n + " in a file of " + bytes.length
                        + " bytes");
            }
            this.dataStart = 8 + n;
            this.header = jsonObject(new String(bytes, 8, (int) n, StandardCharsets.UTF_8), "the header");
        }

        /** Builds the model from the file; returns its training state, or null if it has none. */
        TrainingState build(Sequential model) throws IOException {
            JsonObject meta = object(header, "__metadata__", "the header");
            String format = string(meta, "format", "__metadata__");
            if (!FORMAT.equals(format)) {
                throw fail("a safetensors file, but not a clnet model (format '" + format + "')");
            }
            String version = string(meta, "format_version", "__metadata__");
            if (!FORMAT_VERSION.equals(version)) {
                throw fail("clnet model format version " + version + "; this clnet reads version "
                        + FORMAT_VERSION);
            }
            JsonObject root = jsonObject(string(meta, "model_config", "__metadata__"), "model_config");
            JsonObject config = object(root, "config", "model_config");
            try {
                if (config.has("name")) {
                    model.name(string(config, "name", "model_config"));
                }
                if (config.has("seed")) {
                    model.seed(number(config, "seed", "model_config").getAsLong());
                }
                if (!config.has("layers") || !config.get("layers").isJsonArray()
                        || config.getAsJsonArray("layers").isEmpty()) {
                    throw fail("model_config has no layers");
                }
                for (JsonElement e : config.getAsJsonArray("layers")) {
                    if (!e.isJsonObject()) {
                        throw fail("model_config has a layer that is not an object: " + abbreviated(e));
                    }
                    model.add(layer(e.getAsJsonObject()));
                }
                int input = model.layers().get(0).declaredInputFeatures();
                if (input <= 0) {
                    throw fail("first layer has no input_dim");
                }
                requireBacked(model); // before compile builds, so that no config makes clnet allocate what the file lacks
                if (root.has("compile_config")) {
                    JsonObject compile = root.getAsJsonObject("compile_config");
                    JsonObject opt = object(compile, "optimizer", "compile_config");
                    Map<String, Object> optConfig = GSON.fromJson(object(opt, "config", "optimizer"),
                            new TypeToken<Map<String, Object>>() { }.getType());
                    boolean mae = compile.has("metrics") && compile.get("metrics").isJsonArray()
                            && compile.getAsJsonArray("metrics").contains(new JsonPrimitive("mae"));
                    model.compile(Optimizer.fromConfig(string(opt, "class_name", "optimizer"), optConfig),
                            Loss.parse(string(compile, "loss", "compile_config")),
                            mae ? clnet.ops.Accuracy.MEAN_ABSOLUTE_ERROR : null);
                }
                model.build(input);
            } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
                throw fail("bad model_config: " + e.getMessage());
            }
            List<String> names = new ArrayList<>();
            List<Shape> shapes = new ArrayList<>();
            for (Parameter p : model.parameters()) {
                names.add(p.name());
                shapes.add(p.value().shape());
            }
            int weightCount = names.size();
            long iterations = 0;
            float learningRate = 0;
            if (meta.has("optimizer_state")) {
                if (model.optimizer() == null) {
                    throw fail("optimizer_state without an optimizer in compile_config");
                }
                JsonObject state = jsonObject(string(meta, "optimizer_state", "__metadata__"), "optimizer_state");
                iterations = integer(state, "iterations", "optimizer_state");
                learningRate = number(state, "learning_rate", "optimizer_state").getAsFloat();
                for (Parameter p : model.parameters()) {
                    for (String slot : model.optimizer().slotNames()) {
                        names.add(OPTIMIZER_PREFIX + p.name() + "/" + slot);
                        shapes.add(p.value().shape());
                    }
                }
            }
            int slotsEnd = names.size();
            JsonObject training = null;
            if (meta.has("training_state")) {
                training = jsonObject(string(meta, "training_state", "__metadata__"), "training_state");
                JsonObject callbacks = object(training, "callbacks", "training_state");
                for (String key : callbacks.keySet()) {
                    JsonObject entries = object(callbacks, key, "training_state callbacks");
                    for (String entry : entries.keySet()) {
                        if (WEIGHTS_MARK.equals(entries.get(entry).isJsonPrimitive() ? entries.get(entry).getAsString()
                                : null)) {
                            for (int i = 0; i < weightCount; i++) {
                                names.add(CALLBACK_PREFIX + key + "/" + entry + "/" + names.get(i));
                                shapes.add(shapes.get(i));
                            }
                        }
                    }
                }
            }
            List<HostTensor> tensors = tensors(names, shapes);
            model.setWeights(tensors.subList(0, weightCount));
            if (meta.has("data_config")) {
                JsonObject data = jsonObject(string(meta, "data_config", "__metadata__"), "data_config");
                checkDataConfig(data, model);
                model.dataConfig(GSON.fromJson(data, new TypeToken<Map<String, Object>>() { }.getType()));
            }
            if (meta.has("layer_state")) {
                restoreLayerState(model, jsonObject(string(meta, "layer_state", "__metadata__"), "layer_state"));
            }

            if (iterations > 0) {
                Map<String, HostTensor> slots = new LinkedHashMap<>();
                for (int i = weightCount; i < slotsEnd; i++) {
                    slots.put(names.get(i).substring(OPTIMIZER_PREFIX.length()), tensors.get(i));
                }
                try {
                    model.optimizer().restore(slots, iterations, learningRate);
                } catch (IllegalArgumentException e) {
                    throw fail("bad optimizer_state: " + e.getMessage());
                }
            }
            if (meta.has("steps_taken")) {
                long stepsTaken = longValue(meta, "steps_taken", "__metadata__");
                long own = model.optimizer() == null ? 0 : model.optimizer().iterations();
                if (stepsTaken < own) {
                    throw fail("steps_taken " + stepsTaken + " is fewer than the optimizer's " + own);
                }
                model.stepsTaken(stepsTaken);
            }
            if (training == null) {
                return null;
            }
            Map<String, HostTensor> byName = new LinkedHashMap<>();
            for (int i = slotsEnd; i < names.size(); i++) {
                byName.put(names.get(i), tensors.get(i));
            }
            return trainingState(training, byName, names.subList(0, weightCount));
        }

        /**
         * Checks the data_config (how the model reads its data) before anything reads data by it:
         * every field there and of its type, sizes in range and agreeing with the model's input
         * and output widths, which the file's weights back (a forged vocabulary or image size
         * would otherwise size every sample).
         */
        private void checkDataConfig(JsonObject d, Sequential model) throws ModelFileException {
            JsonElement fraction = d.get("test_fraction");
            if (fraction != null && !(fraction instanceof JsonPrimitive p && p.isNumber() && p.getAsDouble() > 0
                    && p.getAsDouble() < 1)) {
                throw fail("data_config: 'test_fraction' must be a number in (0, 1), got " + fraction);
            }
            JsonElement splitSeed = d.get("split_seed");
            if (splitSeed != null && !(splitSeed instanceof JsonPrimitive p && p.isString()
                    && p.getAsString().matches("-?\\d{1,19}") && fitsLong(p.getAsString()))) {
                throw fail("data_config: 'split_seed' must be a 64-bit integer in a string, got " + splitSeed);
            }
            if (!d.has("kind")) {
                return; // a Java program's own notes (Sequential.dataConfig is free-form): no loader reads them
            }
            String kind = choice(d, "kind", "", List.of("csv", "text", "images"));
            List<String> classes = strings(d, "classes", "");
            if (new java.util.HashSet<>(classes).size() != classes.size()) {
                throw fail("data_config: 'classes' names a class twice: " + d.get("classes"));
            }
            boolean regression = false;
            int inputs;
            switch (kind) {
                case "csv" -> {
                    List<String> in = strings(d, "inputs", "");
                    string(d, "target", "data_config");
                    regression = choice(d, "task", "", List.of("binary", "multiclass", "regression")).equals("regression");
                    inputs = in.size();
                }
                case "text" -> {
                    choice(d, "mode", "", List.of("binary", "count", "tfidf", "freq"));
                    JsonObject t = object(d, "tokenizer", "data_config");
                    String where = "tokenizer.";
                    JsonElement nw = t.get("num_words");
                    Integer numWords = nw == null || nw.isJsonNull() ? null
                            : bounded(t, "num_words", where, 1, clnet.data.Tokenizer.MAX_NUM_WORDS);
                    if (!(t.get("filters") instanceof JsonPrimitive f && f.isString())) {
                        throw fail("data_config: 'tokenizer.filters' must be a string, got " + t.get("filters"));
                    }
                    if (!(t.get("lower") instanceof JsonPrimitive l && l.isBoolean())) {
                        throw fail("data_config: 'tokenizer.lower' must be true or false, got " + t.get("lower"));
                    }
                    JsonElement oov = t.get("oov_token");
                    if (oov != null && !oov.isJsonNull() && !(oov instanceof JsonPrimitive o && o.isString())) {
                        throw fail("data_config: 'tokenizer.oov_token' must be a string or null, got " + oov);
                    }
                    bounded(t, "document_count", where, 0, Integer.MAX_VALUE);
                    List<String> words = strings(t, "words", where);
                    JsonElement docs = t.get("word_docs");
                    if (docs == null || !docs.isJsonArray() || docs.getAsJsonArray().size() != words.size()) {
                        throw fail("data_config: 'tokenizer.word_docs' must be a list of " + words.size()
                                + " document counts, one per word");
                    }
                    for (JsonElement e : docs.getAsJsonArray()) {
                        if (!isInteger(e, 0, Integer.MAX_VALUE)) {
                            throw fail("data_config: 'tokenizer.word_docs' must hold non-negative integers, got " + e);
                        }
                    }
                    inputs = numWords != null ? numWords : words.size() + 1;
                }
                default -> {
                    int h = bounded(d, "height", "", 1, clnet.data.ImageFolder.MAX_SIDE);
                    int w = bounded(d, "width", "", 1, clnet.data.ImageFolder.MAX_SIDE);
                    boolean rgb = choice(d, "color", "", List.of("grayscale", "rgb")).equals("rgb");
                    String bad = clnet.data.ImageFolder.badSize(h, w, rgb);
                    if (bad != null) {
                        throw fail("data_config: images of " + bad);
                    }
                    inputs = h * w * (rgb ? 3 : 1);
                }
            }
            if (inputs != model.inputFeatures()) {
                throw fail("data_config: " + kind + " data of " + inputs + " inputs, but the model takes "
                        + model.inputFeatures());
            }
            int outputs = model.outputFeatures();
            if (regression ? outputs != 1 : classes.size() < 2 || (outputs != classes.size()
                    && !(outputs == 1 && classes.size() == 2))) {
                throw fail("data_config: " + (regression ? "a regression" : classes.size() + " classes") + " for a model"
                        + " of " + outputs + " outputs");
            }
        }

        /** Field {@code key} of {@code o}: one of {@code allowed}. */
        private String choice(JsonObject o, String key, String where, List<String> allowed) throws ModelFileException {
            JsonElement e = o.get(key);
            if (!(e instanceof JsonPrimitive p && p.isString() && allowed.contains(p.getAsString()))) {
                throw fail("data_config: '" + where + key + "' must be one of " + String.join(", ", allowed) + ", got "
                        + e);
            }
            return e.getAsString();
        }

        /** Field {@code key} of {@code o}: a list of strings. */
        private List<String> strings(JsonObject o, String key, String where) throws ModelFileException {
            JsonElement e = o.get(key);
            List<String> out = new ArrayList<>();
            if (e != null && e.isJsonArray()) {
                for (JsonElement x : e.getAsJsonArray()) {
                    if (!(x instanceof JsonPrimitive p && p.isString())) {
                        out = null;
                        break;
                    }
                    out.add(x.getAsString());
                }
            }
            if (e == null || !e.isJsonArray() || out == null) {
                throw fail("data_config: '" + where + key + "' must be a list of strings, got " + e);
            }
            return out;
        }

        /** Field {@code key} of {@code o}: an integer from {@code min} to {@code max}. */
        private int bounded(JsonObject o, String key, String where, int min, int max) throws ModelFileException {
            JsonElement e = o.get(key);
            if (!isInteger(e, min, max)) {
                throw fail("data_config: '" + where + key + "' must be an integer from " + min + " to " + max + ", got "
                        + e);
            }
            return e.getAsInt();
        }

        private static boolean fitsLong(String digits) {
            try {
                Long.parseLong(digits);
                return true;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        private static boolean isInteger(JsonElement e, long min, long max) {
            if (!(e instanceof JsonPrimitive p && p.isNumber())) {
                return false;
            }
            double v = p.getAsDouble();
            return v == Math.rint(v) && v >= min && v <= max;
        }

        /** Strict JSON (no comments, duplicate names, NaN literals...) that must be an object. */
        private JsonObject jsonObject(String json, String what) throws ModelFileException {
            JsonElement e;
            try {
                e = StrictJson.parse(json);
            } catch (StrictJson.Problem p) {
                throw fail(what + " is not valid JSON: " + p.getMessage());
            }
            if (!e.isJsonObject()) {
                throw fail(what + " is not a JSON object");
            }
            return e.getAsJsonObject();
        }

        /**
         * Refuses a config whose weights the file's data section cannot hold, before anything is
         * allocated: a forged {@code units} of 10^9 in a small file costs nothing.
         */
        private void requireBacked(Sequential model) throws ModelFileException {
            long dataBytes = bytes.length - dataStart;
            long needed = 0;
            for (Layer l : model.layers()) {
                try {
                    needed = Math.addExact(needed, Math.multiplyExact(4L, l.paramCount()));
                } catch (ArithmeticException e) {
                    needed = Long.MAX_VALUE;
                }
                if (needed > dataBytes) {
                    throw fail("model_config declares weights of more than " + dataBytes + " bytes (layer " + l.name()
                            + " reaches " + (needed == Long.MAX_VALUE ? "over 2^63" : needed) + "), but the file holds "
                            + dataBytes + " bytes of tensors");
                }
            }
        }

        private static String abbreviated(JsonElement e) {
            String s = e.toString();
            return s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }

        /** An integer array: every entry a JSON integer in [0, max]; null if the element is not one. */
        private static long[] naturals(JsonElement e, long max) {
            if (e == null || !e.isJsonArray()) {
                return null;
            }
            long[] out = new long[e.getAsJsonArray().size()];
            int i = 0;
            for (JsonElement x : e.getAsJsonArray()) {
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
                    return null;
                }
                java.math.BigDecimal d;
                try {
                    d = new java.math.BigDecimal(x.getAsString());
                } catch (NumberFormatException bad) {
                    return null;
                }
                if (d.signum() < 0 || d.stripTrailingZeros().scale() > 0 || d.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
                    return null;
                }
                out[i++] = d.longValueExact();
            }
            return out;
        }

        private void restoreLayerState(Sequential model, JsonObject state) throws ModelFileException {
            for (Layer l : model.layers()) {
                if (!state.has(l.name())) {
                    continue;
                }
                JsonObject entries = object(state, l.name(), "layer_state");
                Map<String, Long> values = new LinkedHashMap<>();
                for (String k : entries.keySet()) {
                    values.put(k, longValue(entries, k, "layer_state " + l.name()));
                }
                try {
                    l.restoreState(values);
                } catch (IllegalArgumentException e) {
                    throw fail("bad layer_state: " + e.getMessage());
                }
            }
        }

        private TrainingState trainingState(JsonObject t, Map<String, HostTensor> tensors, List<String> weightNames)
                throws ModelFileException {
            int epoch = integer(t, "epoch", "training_state");
            int epochs = integer(t, "epochs", "training_state");
            int batchSize = integer(t, "batch_size", "training_state");
            if (epoch < 0 || epochs < 0 || batchSize <= 0) {
                throw fail("training_state has epoch " + epoch + ", epochs " + epochs + ", batch_size " + batchSize);
            }
            long shuffle = longValue(t, "shuffle_state", "training_state");
            Map<String, List<Double>> values = new LinkedHashMap<>();
            JsonObject history = object(t, "history", "training_state");
            for (String metric : history.keySet()) {
                List<Double> list = new ArrayList<>();
                if (!history.get(metric).isJsonArray()) {
                    throw fail("training_state history '" + metric + "' is not a list");
                }
                for (JsonElement v : history.getAsJsonArray(metric)) {
                    list.add(doubleValue(v, "training_state history '" + metric + "'"));
                }
                values.put(metric, list);
            }
            Map<String, Map<String, Object>> callbacks = new LinkedHashMap<>();
            JsonObject cs = object(t, "callbacks", "training_state");
            for (String key : cs.keySet()) {
                Map<String, Object> entries = new LinkedHashMap<>();
                JsonObject c = object(cs, key, "training_state callbacks");
                for (String entry : c.keySet()) {
                    JsonElement v = c.get(entry);
                    if (v.isJsonPrimitive() && WEIGHTS_MARK.equals(v.getAsString())) {
                        List<HostTensor> ws = new ArrayList<>();
                        for (String w : weightNames) {
                            ws.add(tensors.get(CALLBACK_PREFIX + key + "/" + entry + "/" + w));
                        }
                        entries.put(entry, ws);
                    } else {
                        entries.put(entry, doubleValue(v, "training_state callback " + key + " '" + entry + "'"));
                    }
                }
                callbacks.put(key, entries);
            }
            String device = t.has("device") ? string(t, "device", "training_state") : null;
            boolean deterministic = false;
            if (t.has("deterministic")) {
                JsonElement d = t.get("deterministic");
                if (!d.isJsonPrimitive() || !d.getAsJsonPrimitive().isBoolean()) {
                    throw fail("training_state 'deterministic' is " + d + ", not true or false");
                }
                deterministic = d.getAsBoolean();
            }
            long firstStep = t.has("first_step") ? longValue(t, "first_step", "training_state") : 0;
            if (firstStep < 0) {
                throw fail("training_state first_step is " + firstStep);
            }
            return new TrainingState(epoch, epochs, batchSize, shuffle, History.of(values), callbacks, device,
                    deterministic, firstStep);
        }

        /** A 64-bit integer, written as a string (JSON numbers are doubles to many readers). */
        private long longValue(JsonObject o, String key, String where) throws ModelFileException {
            JsonElement e = o.get(key);
            try {
                if (e != null && e.isJsonPrimitive()) {
                    return Long.parseLong(e.getAsString());
                }
            } catch (NumberFormatException ignored) {
                // refused below
            }
            throw fail(where + " has no integer '" + key + "'");
        }

        /** A number, or NaN and the infinities as Gson writes them. */
        private double doubleValue(JsonElement v, String where) throws ModelFileException {
            try {
                if (v != null && v.isJsonPrimitive()) {
                    return Double.parseDouble(v.getAsString());
                }
            } catch (NumberFormatException ignored) {
                // refused below
            }
            throw fail(where + " is not a number: " + v);
        }

        /** A layer through the registry: ModelFile knows no layer class. */
        private Layer layer(JsonObject entry) throws ModelFileException {
            String cls = string(entry, "class_name", "a layer");
            String name = string(entry, "name", "a layer");
            Map<String, Object> config = GSON.fromJson(object(entry, "config", "layer " + name),
                    new TypeToken<Map<String, Object>>() { }.getType());
            try {
                return LayerRegistry.fromConfig(cls, new LayerConfig(name, config));
            } catch (LayerConfig.Problem e) {
                throw fail(e.getMessage());
            }
        }

        /**
         * The tensors of {@code names} (the weights, then any optimizer slots), checked against
         * the shapes the model needs and the file's bounds.
         */
        private List<HostTensor> tensors(List<String> names, List<Shape> shapes) throws ModelFileException {
            long dataBytes = bytes.length - dataStart;
            List<HostTensor> out = new ArrayList<>();
            List<long[]> ranges = new ArrayList<>();
            for (int index = 0; index < names.size(); index++) {
                String name = names.get(index);
                JsonObject t = object(header, name, "the header");
                String dtype = string(t, "dtype", name);
                if (!"F32".equals(dtype)) {
                    throw fail(name + " has dtype " + dtype + "; clnet models are F32");
                }
                Shape want = shapes.get(index);
                long[] shape = naturals(t.get("shape"), Integer.MAX_VALUE);
                long[] offsets = naturals(t.get("data_offsets"), Long.MAX_VALUE);
                if (shape == null || offsets == null) {
                    throw fail(name + ": shape and data_offsets must be lists of non-negative integers, got "
                            + abbreviated(t.get("shape") == null ? JsonNull.INSTANCE : t.get("shape")) + " and "
                            + abbreviated(t.get("data_offsets") == null ? JsonNull.INSTANCE : t.get("data_offsets")));
                }
                if (!java.util.Arrays.equals(shape, java.util.Arrays.stream(want.dims()).asLongStream().toArray())) {
                    throw fail(name + " has shape " + java.util.Arrays.toString(shape) + " but the model config"
                            + " needs " + want);
                }
                if (offsets.length != 2 || offsets[0] < 0 || offsets[1] > dataBytes
                        || offsets[1] - offsets[0] != 4L * want.size()) {
                    throw fail(name + ": data_offsets " + java.util.Arrays.toString(offsets) + " do not hold "
                            + want.size() + " floats inside the " + dataBytes + " data bytes (truncated file?)");
                }
                float[] values = new float[want.size()];
                ByteBuffer.wrap(bytes, (int) (dataStart + offsets[0]), 4 * values.length)
                        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
                for (int i = 0; i < values.length; i++) {
                    if (!Float.isFinite(values[i])) {
                        throw fail(name + " holds " + values[i] + " at index " + i);
                    }
                }
                out.add(new HostTensor(want, values));
                ranges.add(offsets);
            }
            // safetensors: the tensors tile the data section, back to back, no gaps or overlaps
            ranges.sort(java.util.Comparator.comparingLong(r -> r[0]));
            long end = 0;
            for (long[] r : ranges) {
                if (r[0] != end) {
                    throw fail("the tensors' byte ranges " + (r[0] < end ? "overlap" : "leave a gap") + " at byte "
                            + Math.min(r[0], end) + " of the data section");
                }
                end = r[1];
            }
            if (end != dataBytes) {
                throw fail("the data section holds " + dataBytes + " bytes but the tensors cover " + end);
            }
            return out;
        }

        private JsonObject object(JsonObject o, String key, String where) throws ModelFileException {
            JsonElement e = o.get(key);
            if (e == null || !e.isJsonObject()) {
                throw fail(where + " has no object '" + key + "'");
            }
            return e.getAsJsonObject();
        }

        private String string(JsonObject o, String key, String where) throws ModelFileException {
            JsonElement e = o.get(key);
            if (e == null || !e.isJsonPrimitive()) {
                throw fail(where + " has no string '" + key + "'");
            }
            return e.getAsString();
        }

        private JsonPrimitive number(JsonObject o, String key, String where) throws ModelFileException {
            JsonElement e = o.get(key);
            if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw fail(where + " has no number '" + key + "'");
            }
            return e.getAsJsonPrimitive();
        }

        private int integer(JsonObject o, String key, String where) throws ModelFileException {
            double v = number(o, key, where).getAsDouble();
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw fail(where + " has '" + key + "' " + o.get(key) + ", not an integer");
            }
            return (int) v;
        }

        private ModelFileException fail(String what) {
            return new ModelFileException(path + ": " + what);
        }
    }
}
