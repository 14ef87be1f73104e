package clnet.data;

import clnet.files.SafeFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Texts in one folder per class, as Keras's {@code text_dataset_from_directory} reads them:
 * {@code DIR/<class>/<any file>}, classes in alphabetical order. Files are read as UTF-8,
 * a byte that is not UTF-8 becoming U+FFFD (e-mail corpora mix encodings), at most
 * {@value #MAX_FILE_BYTES} bytes each.
 *
 * @param classes the class names (the sub-folders), index i naming class i
 * @param texts   the texts, in class order, then file-name order
 * @param labels  the class of each text
 */
public record TextFolder(Path dir, List<String> classes, List<String> texts, int[] labels, List<Path> files) {
    public static final long MAX_FILE_BYTES = 10L << 20;

    /** Whether {@code dir} looks like texts in class folders: a directory of at least two sub-folders and no files of IDX data. */
    public static boolean looksLike(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> entries = s.toList();
            long folders = entries.stream().filter(Files::isDirectory).count();
            boolean idx = entries.stream().anyMatch(p -> p.getFileName().toString().contains("-idx"));
            return folders >= 2 && !idx && !ImageFolder.looksLike(dir);
        } catch (IOException e) {
            return false;
        }
    }

    public static TextFolder read(Path dir) throws IOException {
        return read(dir, null);
    }

    /** The texts of {@code dir}, its class folders being {@code classes} (a saved model's), or all of them if null. */
    public static TextFolder read(Path dir, List<String> classes) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory of class folders");
        }
        List<String> names = ImageFolder.classFolders(dir, classes, "texts");
        ImageFolder.ClassFiles listed = ImageFolder.classFiles(dir, names, p -> true, "an empty class folder");
        List<String> texts = new ArrayList<>();
        for (Path f : listed.files()) {
            texts.add(readText(f));
        }
        return new TextFolder(dir, List.copyOf(names), texts, listed.labels(), listed.files());
    }

    /** One text file, checked as every file clnet reads. */
    public static String readText(Path f) throws IOException {
        String problem = SafeFiles.unreadable(f, "a text");
        if (problem != null) {
            throw new IOException(f + ": " + problem);
        }
        long size = Files.size(f);
        if (size > MAX_FILE_BYTES) {
            throw new IOException(f + ": " + size + " bytes; a text file holds at most " + MAX_FILE_BYTES);
        }
        return new String(Files.readAllBytes(f), StandardCharsets.UTF_8); // malformed bytes become U+FFFD
    }

    /** These texts only (a split). */
    public TextFolder subset(int[] which) {
        List<String> t = new ArrayList<>();
        List<Path> f = new ArrayList<>();
        int[] l = new int[which.length];
        for (int i = 0; i < which.length; i++) {
            t.add(texts.get(which[i]));
            f.add(files.get(which[i]));
            l[i] = labels[which[i]];
        }
        return new TextFolder(dir, classes, t, l, f);
    }

    /** A seeded shuffle cut into (train, test), the test part {@code testFraction} of the texts. */
    public TextFolder[] split(double testFraction, long seed) {
        int[][] parts = Datasets.shuffledSplit(texts.size(), testFraction, seed);
        return new TextFolder[] {subset(parts[0]), subset(parts[1])};
    }
}
