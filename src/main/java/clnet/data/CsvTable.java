package clnet.data;

import clnet.files.SafeFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A table from a CSV file: named columns of text cells, read strictly. Two layouts:
 * <ul>
 *   <li>the usual one, a header row of unique names, then one row per sample (RFC 4180:
 *       quoted cells may hold commas, {@code ""} is a quote);</li>
 *   <li>scikit-learn's bundled data sets ({@code breast_cancer.csv}, {@code iris.csv},
 *       {@code boston_house_prices.csv}): a first row {@code n_samples,n_features[,class
 *       names...]}, an optional row of names, then the rows; the columns are then named
 *       {@code feature_0}, ... and {@code target} unless named, and the class names are kept.</li>
 * </ul>
 * Every row must have as many cells as the header; a problem is reported with the file, the
 * line and the column.
 */
public final class CsvTable {
    /** Larger files are refused before they are read (a CSV of samples for a dense network is far smaller). */
    public static final long MAX_BYTES = 1L << 30;

    private final Path file;
    private final List<String> names;
    private final List<String[]> rows;
    private final int[] lines; // the file line of each row, for messages
    private final List<String> classNames;

    private CsvTable(Path file, List<String> names, List<String[]> rows, int[] lines, List<String> classNames) {
        this.file = file;
        this.names = names;
        this.rows = rows;
        this.lines = lines;
        this.classNames = classNames;
    }

    public static CsvTable read(Path file) throws IOException {
        String problem = SafeFiles.unreadable(file, "a CSV file");
        if (problem != null) {
            throw new CsvFormatException(file, problem);
        }
        if (Files.size(file) > MAX_BYTES) {
            throw new CsvFormatException(file, Files.size(file) + " bytes; clnet reads CSV files of at most "
                    + MAX_BYTES);
        }
        List<String[]> records = new ArrayList<>();
        List<Integer> recordLines = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // the byte-order mark spreadsheets write
                }
                if (line.isBlank()) {
                    continue;
                }
                records.add(split(file, line, lineNo));
                recordLines.add(lineNo);
            }
        } catch (CharacterCodingException e) {
            throw new CsvFormatException(file, "not UTF-8 text");
        }
        if (records.isEmpty()) {
            throw new CsvFormatException(file, "the file is empty");
        }
        String[] first = records.get(0);
        List<String> classNames = List.of();
        List<String> names;
        int start;
        if (isScikitLearnHeader(first)) {
            int samples = Integer.parseInt(first[0].trim());
            int features = Integer.parseInt(first[1].trim());
            List<String> cls = new ArrayList<>();
            for (int i = 2; i < first.length; i++) {
                if (!first[i].isBlank()) {
                    cls.add(first[i].trim());
                }
            }
            classNames = List.copyOf(cls);
            start = 1;
            if (records.size() > 1 && !isNumber(records.get(1)[0])) {
                names = header(file, records.get(1), recordLines.get(1));
                start = 2;
            } else {
                names = new ArrayList<>();
                for (int i = 0; i < features; i++) {
                    names.add("feature_" + i);
                }
                names.add("target");
            }
            if (names.size() != features + 1) {
                throw new CsvFormatException(file, "line 1 declares " + features + " features (and a target) but the"
                        + " rows are named " + names.size() + " columns");
            }
            if (records.size() - start != samples) {
                throw new CsvFormatException(file, "line 1 declares " + samples + " samples but the file holds "
                        + (records.size() - start) + " rows");
            }
        } else {
            names = header(file, first, recordLines.get(0));
            start = 1;
        }
        List<String[]> rows = new ArrayList<>(records.subList(start, records.size()));
        int[] lines = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            lines[i] = recordLines.get(start + i);
            if (rows.get(i).length != names.size()) {
                throw new CsvFormatException(file, "line " + lines[i] + " has " + rows.get(i).length
                        + " cells, the header " + names.size());
            }
        }
        if (rows.isEmpty()) {
            throw new CsvFormatException(file, "the file has a header but no rows");
        }
        return new CsvTable(file, List.copyOf(names), rows, lines, classNames);
    }

    private static boolean isScikitLearnHeader(String[] first) {
        if (first.length < 2 || !first[0].trim().matches("\\d{1,9}") || !first[1].trim().matches("\\d{1,6}")) {
            return false;
        }
        for (int i = 2; i < first.length; i++) {
            if (isNumber(first[i])) {
                return false;
            }
        }
        return true;
    }

    private static List<String> header(Path file, String[] cells, int line) throws CsvFormatException {
        Set<String> seen = new HashSet<>();
        List<String> names = new ArrayList<>();
        for (int j = 0; j < cells.length; j++) {
            String n = cells[j].trim();
            if (n.isEmpty()) {
                throw new CsvFormatException(file, "line " + line + ": column " + (j + 1) + " has no name");
            }
            if (!seen.add(n)) {
                throw new CsvFormatException(file, "line " + line + ": two columns named '" + n + "'");
            }
            names.add(n);
        }
        return names;
    }

    /** One record of RFC 4180 CSV (no line breaks inside quotes). */
    static String[] split(Path file, String line, int lineNo) throws CsvFormatException {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(c);
                }
            } else if (c == '"' && cell.toString().isBlank() && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
                cell.setLength(0);
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
                wasQuoted = false;
            } else if (wasQuoted && !Character.isWhitespace(c)) {
                throw new CsvFormatException(file, "line " + lineNo + ": text after a closing quote in cell "
                        + (cells.size() + 1));
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            throw new CsvFormatException(file, "line " + lineNo + ": a quote is not closed");
        }
        cells.add(cell.toString());
        return cells.toArray(new String[0]);
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s.trim());
            return !s.isBlank();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The file line (from 1) that row {@code row} (from 0) was read from. */
    public int line(int row) {
        return lines[row];
    }

    public Path file() {
        return file;
    }

    public List<String> names() {
        return names;
    }

    public int rows() {
        return rows.size();
    }

    /** The class names of a scikit-learn file's first line (index i names class i), or empty. */
    public List<String> classNames() {
        return classNames;
    }

    /** The index of column {@code name}; refused with the columns there are. */
    public int column(String name) throws CsvFormatException {
        int j = names.indexOf(name);
        if (j < 0) {
            throw new CsvFormatException(file, "no column '" + name + "' (columns: " + String.join(", ", names) + ")");
        }
        return j;
    }

    /** The text of column {@code j}, row by row. */
    public String[] text(int j) {
        String[] out = new String[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i)[j].trim();
        }
        return out;
    }

    /** Whether every cell of column {@code j} is a finite number. */
    public boolean isNumeric(int j) {
        return isNumeric(j, new boolean[rows.size()]);
    }

    /** Whether every cell of column {@code j} is a finite number, the rows marked in {@code skip} aside. */
    public boolean isNumeric(int j, boolean[] skip) {
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            if (!skip[i] && (!isNumber(r[j]) || !Double.isFinite(Double.parseDouble(r[j].trim())))) {
                return false;
            }
        }
        return true;
    }

    /** As {@link #numbers(int)}, with NaN in the rows marked in {@code skip}. */
    public float[] numbers(int j, boolean[] skip) throws CsvFormatException {
        float[] out = new float[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = skip[i] ? Float.NaN : number(i, j);
        }
        return out;
    }

    /** Column {@code j} as numbers; a cell that is not a finite number is refused by line and column. */
    public float[] numbers(int j) throws CsvFormatException {
        float[] out = new float[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(i, j);
        }
        return out;
    }

    private float number(int i, int j) throws CsvFormatException {
        String cell = rows.get(i)[j].trim();
        double v;
        try {
            v = Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            v = Double.NaN;
        }
        if (cell.isEmpty() || !Double.isFinite(v) || !Float.isFinite((float) v)) {
            throw new CsvFormatException(file, String.format(Locale.ROOT, "line %d, column %s: '%s' is not a"
                    + " finite number", lines[i], names.get(j), abbreviate(cell)));
        }
        return (float) v;
    }

    private static String abbreviate(String s) {
        return s.length() > 30 ? s.substring(0, 30) + "..." : s;
    }
}
