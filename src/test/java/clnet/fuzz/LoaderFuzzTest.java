package clnet.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.Backend;
import clnet.backend.cpu.CpuBackend;
import clnet.callbacks.EarlyStopping;
import clnet.callbacks.ModelCheckpoint;
import clnet.data.IdxArray;
import clnet.data.IdxFormatException;
import clnet.data.IdxReader;
import clnet.data.IdxWriter;
import clnet.io.ModelFile;
import clnet.io.ModelFileException;
import clnet.nn.Dense;
import clnet.nn.Dropout;
import clnet.nn.Regularizer;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.train.FitOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input for every loader: seeded mutations of valid IDX files (raw and gzip) and
 * model files (plain and checkpoints), about 12,000 per run. Each must load or end in the
 * loader's own exception naming the file, within a second, under the small heap this suite
 * runs with (see pom.xml: a size the bytes cannot back makes an OutOfMemoryError, which
 * counts as a failure). The report goes to target/fuzz-report.txt.
 */
class LoaderFuzzTest {
    private static final long SEED = 20261129L;
    private static final long MAX_NANOS = 1_000_000_000L;

    @TempDir
    static Path dir;

    private static final Map<String, int[]> COUNTS = new TreeMap<>(); // loader -> {inputs, loaded, refused}
    private static final List<String> UNEXPECTED = new ArrayList<>();
    private static long slowest;
    private static String slowestCase = "";

    @BeforeAll
    static void heap() {
        UNEXPECTED.clear();
    }

    /** The suite's report: inputs, outcomes, the slowest input, the heap it ran under. */
    @AfterAll
    static void report() throws IOException {
        StringBuilder b = new StringBuilder("clnet loader fuzz report (seed " + SEED + ")\n");
        int total = 0;
        for (Map.Entry<String, int[]> e : COUNTS.entrySet()) {
            int[] c = e.getValue();
            total += c[0];
            b.append(String.format("%-22s %6d inputs: %6d loaded, %6d refused with the loader's exception%n",
                    e.getKey(), c[0], c[1], c[2]));
        }
        b.append(String.format("total %d inputs; %d unexpected exception types; slowest %.1f ms (%s); heap limit"
                + " %d MiB%n", total, UNEXPECTED.size(), slowest / 1e6, slowestCase,
                Runtime.getRuntime().maxMemory() >> 20));
        UNEXPECTED.stream().limit(20).forEach(u -> b.append("  unexpected: ").append(u).append('\n'));
        Path out = Path.of("target", "fuzz-report.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, b);
        System.out.print(b);
    }

    private interface Loader {
        void load(Path file) throws IOException;
    }

    /**
     * Runs each input through the loader: success, or {@code expected} with the file's name in
     * its message; anything else (another exception, an Error, a message without the path, over
     * a second) is recorded.
     */
    private static void fuzz(String name, List<byte[]> inputs, Class<? extends Exception> expected, Loader loader)
            throws IOException {
        int[] c = COUNTS.computeIfAbsent(name, k -> new int[3]);
        Path file = dir.resolve(name + ".input");
        for (int i = 0; i < inputs.size(); i++) {
            Files.write(file, inputs.get(i));
            long t0 = System.nanoTime();
            String problem = null;
            try {
                loader.load(file);
                c[1]++;
            } catch (Exception e) {
                if (expected.isInstance(e) && e.getMessage() != null && e.getMessage().contains(file.toString())
                        && !e.getMessage().contains("\n")) {
                    c[2]++;
                } else {
                    problem = e.getClass().getName() + ": " + e.getMessage();
                }
            } catch (OutOfMemoryError | StackOverflowError e) {
                problem = e.getClass().getName() + " (a size the input cannot back was trusted)";
            }
            long dt = System.nanoTime() - t0;
            if (dt > slowest) {
                slowest = dt;
                slowestCase = name + " #" + i;
            }
            if (dt > MAX_NANOS) {
                problem = (problem == null ? "" : problem + "; ") + "took " + dt / 1_000_000 + " ms";
            }
            if (problem != null) {
                UNEXPECTED.add(name + " #" + i + ": " + problem);
            }
            c[0]++;
        }
    }

    // ---------------------------------------------------------------- mutations

    /**
     * Truncations of {@code valid} at every header offset, then {@code count} seeded mutations:
     * bit flips, forged integers at header offsets, truncations anywhere, appended and overwritten bytes.
     */
    static List<byte[]> mutations(byte[] valid, int headerLength, int count, Rng rng) {
        List<byte[]> out = new ArrayList<>();
        for (int cut = 0; cut <= Math.min(headerLength + 16, valid.length - 1); cut++) {
            out.add(java.util.Arrays.copyOf(valid, cut)); // truncation at every header offset
        }
        int[] specials = {0, 1, -1, 2, 255, 256, 65535, Integer.MAX_VALUE, Integer.MIN_VALUE, 1_000_000_000, 0x7FFFFFF0,
                0x40000000, 28, 60000};
        int truncations = out.size();
        while (out.size() < truncations + count) {
            byte[] m = valid.clone();
            switch (rng.nextInt(6)) {
                case 0 -> { // bit flips, mostly in the header
                    int flips = 1 + rng.nextInt(8);
                    for (int f = 0; f < flips; f++) {
                        int at = rng.nextFloat() < 0.7f ? rng.nextInt(Math.min(headerLength + 8, m.length))
                                : rng.nextInt(m.length);
                        m[at] ^= (byte) (1 << rng.nextInt(8));
                    }
                }
                case 1 -> { // a forged 32-bit integer at a header offset, either byte order
                    int at = rng.nextInt(Math.max(1, Math.min(headerLength, m.length - 4)));
                    ByteBuffer.wrap(m, at, 4).order(rng.nextInt(2) == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                            .putInt(specials[rng.nextInt(specials.length)]);
                }
                case 2 -> { // a forged 64-bit length at the start (safetensors' header length)
                    long[] longs = {0, -1, Long.MAX_VALUE, m.length, m.length - 7L, 1L << 31, 1L << 40, 8};
                    if (m.length >= 8) {
                        ByteBuffer.wrap(m, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(longs[rng.nextInt(longs.length)]);
                    }
                }
                case 3 -> m = java.util.Arrays.copyOf(m, rng.nextInt(m.length + 1)); // truncated anywhere
                case 4 -> { // bytes appended or a block duplicated
                    int extra = 1 + rng.nextInt(64);
                    byte[] grown = java.util.Arrays.copyOf(m, m.length + extra);
                    for (int i = m.length; i < grown.length; i++) {
                        grown[i] = (byte) rng.nextInt(256);
                    }
                    m = grown;
                }
                default -> { // random bytes over a random stretch
                    int at = rng.nextInt(m.length);
                    int len = 1 + rng.nextInt(Math.min(16, m.length - at));
                    for (int i = 0; i < len; i++) {
                        m[at + i] = (byte) rng.nextInt(256);
                    }
                }
            }
            out.add(m);
        }
        return out;
    }

    /** Mutations of a model file's JSON header: values and structure a hostile or broken writer could put there. */
    static List<byte[]> headerMutations(byte[] valid, int count, Rng rng) {
        long n = ByteBuffer.wrap(valid, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String json = new String(valid, 8, (int) n, StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(valid, (int) (8 + n), valid.length);
        String[] values = {"null", "1.5", "-1", "1e9", "1e400", "\"x\"", "[]", "{}", "true", "2147483648", "0",
                "[1.5, 16]", "[null]", "[-1, 2]", "NaN", "Infinity", "1000000000"};
        List<Function<String, String>> edits = List.of(
                j -> j.replaceFirst("\\{", "{/* comment */"),
                j -> j.replace("\"", "'"),
                j -> j.replaceFirst("\\{\"", "{\"__metadata__\":{},\""),
                j -> "{" + "[".repeat(5000) + "]".repeat(5000) + "}",
                j -> j + " trailing",
                j -> j.replace("\"F32\"", "\"F16\""));
        List<byte[]> out = new ArrayList<>();
        java.util.regex.Matcher numbers = java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?(e-?\\d+)?").matcher(json);
        List<int[]> spans = new ArrayList<>();
        while (numbers.find()) {
            spans.add(new int[] {numbers.start(), numbers.end()});
        }
        while (out.size() < count) {
            String j;
            int kind = rng.nextInt(10);
            if (kind < 7 && !spans.isEmpty()) { // a number in the header (also inside the metadata strings) replaced
                int[] s = spans.get(rng.nextInt(spans.size()));
                String v = values[rng.nextInt(values.length)];
                boolean inString = json.lastIndexOf("\\\"", s[0]) > json.lastIndexOf("\"__metadata__\"", s[0]);
                j = json.substring(0, s[0]) + (inString ? v.replace("\"", "\\\"") : v) + json.substring(s[1]);
            } else {
                j = edits.get(rng.nextInt(edits.size())).apply(json);
            }
            byte[] head = j.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(8 + head.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(head.length).put(head).put(data);
            out.add(b.array());
        }
        return out;
    }

    // ---------------------------------------------------------------- seeds

    private static byte[] idx(int[] dims, boolean gzip, Rng rng) throws IOException {
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) rng.nextInt(10);
        }
        Path p = dir.resolve("seed.idx");
        IdxWriter.write(p, new IdxArray(dims, data), gzip);
        return Files.readAllBytes(p);
    }

    private static byte[] model(boolean checkpoint) throws IOException {
        try (Backend b = new CpuBackend(); Sequential m = new Sequential(b).seed(3)) {
            m.add(new Dense(6, "relu").inputShape(5).kernelRegularizer(Regularizer.l2(0.01)));
            m.add(new Dropout(0.2));
            m.add(new Dense(3, "softmax"));
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY);
            Path p = dir.resolve("seed.safetensors");
            if (checkpoint) {
                HostTensor x = HostTensor.zeros(8, 5);
                HostTensor y = HostTensor.zeros(8, 3);
                for (int i = 0; i < 8; i++) {
                    y.set(i, i % 3, 1f);
                    x.set(i, i % 5, 1f);
                }
                m.fit(x, y, new FitOptions().epochs(2).batchSize(4).verbose(0).validationData(x, y)
                        .callbacks(new EarlyStopping("val_loss", 5, 0, true),
                                new ModelCheckpoint(m, p.toString(), "val_loss", false)));
            } else {
                ModelFile.save(m, p);
            }
            return Files.readAllBytes(p);
        }
    }

    // ---------------------------------------------------------------- the suites

    @Test
    void idxFilesRawAndGzip() throws IOException {
        int before = UNEXPECTED.size();
        Rng rng = new Rng(SEED);
        for (boolean gzip : new boolean[] {false, true}) {
            for (int[] dims : new int[][] {{40}, {6, 7, 5}, {3, 4, 4, 2}}) {
                byte[] valid = idx(dims, gzip, rng);
                List<byte[]> inputs = mutations(valid, 4 + 4 * dims.length, 700, rng);
                if (gzip) {
                    inputs.addAll(gzipOf(mutations(idx(dims, false, rng), 4 + 4 * dims.length, 300, rng)));
                }
                fuzz("idx " + (gzip ? "gzip" : "raw"), inputs, IdxFormatException.class, IdxReader::read);
            }
        }
        // the reported kinds: a 34-byte gzip whose trailer claims 2 GiB, a product that overflows before a 0
        fuzz("idx forged", List.of(forgedGzip(), idxHeader(new int[] {70000, 70000, 70000, 0}),
                idxHeader(new int[] {Integer.MAX_VALUE, 2}), idxHeader(new int[] {1 << 30, 1 << 30, 0, 5})),
                IdxFormatException.class, IdxReader::read);
        assertNoneUnexpected(before);
    }

    @Test
    void modelFilesAndCheckpoints() throws IOException {
        int before = UNEXPECTED.size();
        Rng rng = new Rng(SEED + 1);
        try (Backend b = new CpuBackend()) {
            Loader load = f -> ModelFile.loadCheckpoint(f, b).model().close();
            for (boolean checkpoint : new boolean[] {false, true}) {
                byte[] valid = model(checkpoint);
                Path seed = dir.resolve("seed-check.safetensors");
                Files.write(seed, valid);
                load.load(seed); // the unmutated file loads: the mutations start from a good one
                int header = (int) (8 + ByteBuffer.wrap(valid, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
                byte[] lastBit = valid.clone();
                lastBit[valid.length - 4] ^= 1; // the lowest mantissa bit of the last float: still a good file
                Files.write(seed, lastBit);
                load.load(seed);
                fuzz(checkpoint ? "checkpoint bytes" : "model bytes", mutations(valid, header, 1500, rng),
                        ModelFileException.class, load);
                fuzz(checkpoint ? "checkpoint header" : "model header", headerMutations(valid, 1500, rng),
                        ModelFileException.class, load);
            }
        }
        assertNoneUnexpected(before);
    }

    /** History CSV files ({@code clnet plot history FILE}): every refusal is an IOException naming the file. */
    @Test
    void historyCsvFiles() throws IOException {
        int before = UNEXPECTED.size();
        Rng rng = new Rng(SEED + 2);
        clnet.train.History h = new clnet.train.History();
        for (int e = 0; e < 12; e++) {
            h.add(Map.of("loss", 1.0 / (e + 1), "accuracy", 0.5 + e / 30.0));
        }
        Path seed = dir.resolve("seed.csv");
        h.writeCsv(seed);
        byte[] valid = Files.readAllBytes(seed);
        List<byte[]> inputs = mutations(valid, 24, 1500, rng);
        for (String text : List.of("", "epoch\n", "epoch,loss\n0,NaN\n", "epoch,loss\n0\n", "epoch,loss\n0,1,2\n",
                "epoch,loss\n0,1e400\n", "epoch,,\n0,1,2\n", "\u0000\u0001", "epoch,loss\n" + "0,1\n".repeat(50_000))) {
            inputs.add(text.getBytes(StandardCharsets.UTF_8));
        }
        fuzz("history csv", inputs, IOException.class, clnet.train.History::readCsv);
        assertNoneUnexpected(before);
    }

    /** CSV tables (train/evaluate/predict --data FILE.csv), both layouts: refusals are CsvFormatExceptions naming the file. */
    @Test
    void csvTables() throws IOException {
        int before = UNEXPECTED.size();
        Rng rng = new Rng(SEED + 3);
        // seeds: 20 rows in scikit-learn's layout (line 1 counting them) and in the usual one (a header row)
        List<String> iris = Files.readAllLines(Path.of("testdata/sklearn/iris.csv"));
        String rows = String.join("\n", iris.subList(41, 61)) + "\n"; // two classes
        String sklearn = "20,4,setosa,versicolor,virginica\n" + rows;
        String usual = "sepal length,sepal width,petal length,petal width,species\n" + rows;
        for (String seedText : List.of(sklearn, usual)) {
            byte[] valid = seedText.getBytes(StandardCharsets.UTF_8);
            Path seed = dir.resolve("seed.csv");
            Files.write(seed, valid);
            clnet.data.Tabular.from(clnet.data.CsvTable.read(seed), null, null, null, null); // the seed itself loads
            fuzz("csv", mutations(valid, 60, 1500, rng), clnet.data.CsvFormatException.class,
                    f -> clnet.data.Tabular.from(clnet.data.CsvTable.read(f), null, null, null, null));
        }
        List<byte[]> forged = new ArrayList<>();
        for (String text : List.of("", "\n\n", "a\n1\n", "a,b\n\"x\n", "999999999,3,x\n1,2,3,0\n", "1,1\n",
                "a,b\n1,2\n" + "1,2\n".repeat(100_000), "\"\"\"\n", ",\n,\n", "a,b\n1e39,0\n", "a,b\n0x1p3,1\n")) {
            forged.add(text.getBytes(StandardCharsets.UTF_8));
        }
        fuzz("csv forged", forged, clnet.data.CsvFormatException.class,
                f -> clnet.data.Tabular.from(clnet.data.CsvTable.read(f), null, null, null, null));
        assertNoneUnexpected(before);
    }

    /** PNG pictures (predict --data picture.png, image folders): refusals are IOExceptions naming the file. */
    @Test
    void pngPictures() throws IOException {
        int before = UNEXPECTED.size();
        Rng rng = new Rng(SEED + 4);
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 28; i++) {
            img.getRaster().setSample(i, i, 0, 255);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", png);
        byte[] valid = png.toByteArray();
        List<byte[]> inputs = mutations(valid, 33, 1500, rng); // 33: signature and IHDR, where the size is
        // forged sizes with a good checksum: 30,000 x 30,000 in a tiny file
        byte[] huge = valid.clone();
        ByteBuffer.wrap(huge, 16, 8).putInt(30_000).putInt(30_000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(huge, 12, 17);
        ByteBuffer.wrap(huge, 29, 4).putInt((int) crc.getValue());
        inputs.add(huge);
        fuzz("png", inputs, IOException.class, f -> clnet.data.ImageFolder.pixels(f, 28, 28, false, true));
        assertNoneUnexpected(before);
    }

    private static void assertNoneUnexpected(int before) {
        List<String> mine = UNEXPECTED.subList(before, UNEXPECTED.size());
        assertEquals(List.of(), mine.stream().limit(10).toList(), mine.size() + " unexpected outcomes");
        int total = COUNTS.values().stream().mapToInt(c -> c[0]).sum();
        assertTrue(total > 0);
    }

    // ---------------------------------------------------------------- forged files

    private static List<byte[]> gzipOf(List<byte[]> raw) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (byte[] r : raw) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
                gz.write(r);
            }
            out.add(bytes.toByteArray());
        }
        return out;
    }

    /** A gzip IDX file of a few dozen bytes whose header and trailer both claim about 2 GiB of data. */
    private static byte[] forgedGzip() throws IOException {
        byte[] header = idxHeader(new int[] {Integer.MAX_VALUE - 100});
        byte[] gz = gzipOf(List.of(header)).get(0);
        long total = (long) header.length + Integer.MAX_VALUE - 100;
        ByteBuffer.wrap(gz, gz.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) total);
        return gz;
    }

    private static byte[] idxHeader(int[] dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    static Map<String, int[]> counts() {
        return new LinkedHashMap<>(COUNTS);
    }
}
