package clnet.data;

import clnet.tensor.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Samples from a CSV table: the input columns as features, the target column as a class
 * or a value, and the task that decides the network's last layer (the lesson's "final
 * layer by task"): one sigmoid unit for two classes, softmax for more, one linear unit for
 * a regression.
 *
 * @param x       the inputs, one row per sample, raw (the model standardizes them)
 * @param labels  the class of each sample (classification), else null; {@link #NO_LABEL} for a row to
 *                predict whose target cell is empty
 * @param values  the target of each sample (regression), else null; NaN where a row to predict has none
 * @param classes the class names, index i naming class i (classification), else empty
 */
public record Tabular(List<String> inputs, String target, Task task, List<String> classes, HostTensor x,
                      int[] labels, float[] values) {
    /** A target with at most this many distinct integer values is a class. */
    public static final int MAX_CLASSES = 100;
    /** The label of a row to predict whose target cell is empty. */
    public static final int NO_LABEL = -1;

    public enum Task {
        BINARY, MULTICLASS, REGRESSION;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Task parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "binary" -> BINARY;
                case "multiclass" -> MULTICLASS;
                case "regression" -> REGRESSION;
                default -> throw new IllegalArgumentException("unknown task '" + s + "' (binary, multiclass,"
                        + " regression)");
            };
        }
    }

    /**
     * The samples of {@code table}: {@code target} (null: the last column) against
     * {@code inputs} (null: every other column), for {@code task} (null: a text target, or
     * integers with at most {@value #MAX_CLASSES} values, is a classification; other
     * numbers a regression). {@code classes}, when given (a saved model's), fixes the class
     * order; otherwise classes are sorted, or named by a scikit-learn file's first line.
     */
    public static Tabular from(CsvTable table, String target, List<String> inputs, Task task, List<String> classes)
            throws CsvFormatException {
        return from(table, target, inputs, task, classes, true);
    }

    /**
     * As {@link #from(CsvTable, String, List, Task, List)}; without {@code targetRequired} (new
     * rows to predict, read as a saved model does) a table without the target column, or whose
     * target cells are all empty, gives samples without labels or values; where only some are
     * empty, those rows have the label {@link #NO_LABEL} (a regression: the value NaN).
     */
    public static Tabular from(CsvTable table, String target, List<String> inputs, Task task, List<String> classes,
                               boolean targetRequired) throws CsvFormatException {
        String t = target != null ? target : table.names().get(table.names().size() - 1);
        boolean saved = !targetRequired && inputs != null && task != null && (task == Task.REGRESSION || classes != null);
        // rows to predict: an empty target cell is a row without a label, as a missing column is a file without them
        boolean[] missing = new boolean[table.rows()];
        int missingCount = 0;
        if (saved && table.names().contains(t)) {
            String[] cells = table.text(table.column(t));
            for (int r = 0; r < cells.length; r++) {
                missing[r] = cells[r].isEmpty();
                missingCount += missing[r] ? 1 : 0;
            }
        }
        boolean unlabelled = saved && (!table.names().contains(t) || missingCount == table.rows());
        List<String> in = new ArrayList<>();
        if (inputs != null) {
            in.addAll(inputs);
        } else {
            for (String n : table.names()) {
                if (!n.equals(t)) {
                    in.add(n);
                }
            }
        }
        if (in.isEmpty()) {
            throw new CsvFormatException(table.file(), "no input columns besides the target '" + t + "'");
        }
        HostTensor x = HostTensor.zeros(table.rows(), in.size());
        for (int c = 0; c < in.size(); c++) {
            if (in.get(c).equals(t)) {
                throw new CsvFormatException(table.file(), "column '" + t + "' is both an input and the target");
            }
            float[] col = table.numbers(table.column(in.get(c)));
            for (int r = 0; r < col.length; r++) {
                x.set(r, c, col[r]);
            }
        }
        if (unlabelled) {
            return new Tabular(List.copyOf(in), t, task, classes == null ? List.of() : List.copyOf(classes), x, null,
                    null);
        }
        int tj = table.column(t);
        if (!saved) {
            // data to learn from: an empty target would become a class "" (or turn a regression into classes)
            String[] cells = table.text(tj);
            for (int r = 0; r < cells.length; r++) {
                if (cells[r].isEmpty()) {
                    throw new CsvFormatException(table.file(), "line " + table.line(r) + ": the target '" + t
                            + "' is empty; train and evaluate need a target on every row (predict takes rows without one)");
                }
            }
        }
        boolean numeric = table.isNumeric(tj, missing);
        String[] text = table.text(tj);
        if (task == null && numeric && !integral(table.numbers(tj), MAX_CLASSES)) {
            task = Task.REGRESSION;
        }
        if (task == Task.REGRESSION) {
            return new Tabular(List.copyOf(in), t, task, List.of(), x, null, table.numbers(tj, missing));
        }
        List<String> names;
        int[] labels = new int[text.length];
        if (classes != null) {
            names = classes;
        } else if (numeric && !table.classNames().isEmpty()) {
            names = table.classNames(); // scikit-learn: the target is the index of a name on line 1
        } else {
            names = distinct(text, numeric);
        }
        if (task == null) {
            task = names.size() <= 2 ? Task.BINARY : Task.MULTICLASS;
        }
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        // a scikit-learn file's target is the index of a class named on its first line
        boolean byIndex = numeric && !table.classNames().isEmpty() && names.equals(table.classNames());
        for (int r = 0; r < text.length; r++) {
            if (missing[r]) {
                labels[r] = NO_LABEL;
                continue;
            }
            Integer k;
            if (byIndex) {
                double v = Double.parseDouble(text[r]);
                k = v == Math.rint(v) && v >= 0 && v < names.size() ? (int) v : null;
            } else {
                k = index.get(numeric ? canonical(text[r]) : text[r]);
            }
            if (k == null) {
                throw new CsvFormatException(table.file(), "line " + table.line(r) + ": target '" + text[r]
                        + "' is none of the classes " + names);
            }
            labels[r] = k;
        }
        if (task == Task.BINARY && names.size() != 2) {
            throw new CsvFormatException(table.file(), "a binary task needs 2 classes in '" + t + "', found "
                    + names.size() + " " + names);
        }
        return new Tabular(List.copyOf(in), t, task, List.copyOf(names), x, labels, null);
    }

    private static boolean integral(float[] v, int maxDistinct) {
        TreeSet<Float> seen = new TreeSet<>();
        for (float f : v) {
            if (f != Math.rint(f) || (seen.add(f) && seen.size() > maxDistinct)) {
                return false;
            }
        }
        return true;
    }

    /** Numbers in one spelling ("1.0" and "1" are the same class). */
    private static String canonical(String number) {
        double v = Double.parseDouble(number);
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static List<String> distinct(String[] text, boolean numeric) {
        if (numeric) {
            TreeSet<Double> vs = new TreeSet<>();
            for (String s : text) {
                vs.add(Double.parseDouble(s));
            }
            List<String> out = new ArrayList<>();
            for (double v : vs) {
                out.add(canonical(Double.toString(v)));
            }
            return out;
        }
        return new ArrayList<>(new TreeSet<>(List.of(text)));
    }

    public int rows() {
        return x.rows();
    }

    /** The outputs the network needs: 1 for binary and regression, else one per class. */
    public int outputs() {
        return task == Task.MULTICLASS ? classes.size() : 1;
    }

    /** These rows only (a split). */
    public Tabular rows(int[] which) {
        HostTensor sub = HostTensor.zeros(which.length, x.cols());
        int[] l = labels == null ? null : new int[which.length];
        float[] v = values == null ? null : new float[which.length];
        for (int i = 0; i < which.length; i++) {
            System.arraycopy(x.data(), which[i] * x.cols(), sub.data(), i * x.cols(), x.cols());
            if (l != null) {
                l[i] = labels[which[i]];
            }
            if (v != null) {
                v[i] = values[which[i]];
            }
        }
        return new Tabular(inputs, target, task, classes, sub, l, v);
    }

    /** A seeded shuffle cut into (train, test), the test part {@code testFraction} of the rows (at least one each). */
    public Tabular[] split(double testFraction, long seed) {
        int[][] parts = Datasets.shuffledSplit(rows(), testFraction, seed);
        return new Tabular[] {rows(parts[0]), rows(parts[1])};
    }

    /** The targets as a network sees them: a column of 0/1 (binary) or values (regression), one-hot rows otherwise. */
    public HostTensor targets() {
        return switch (task) {
            case REGRESSION -> new HostTensor(clnet.tensor.Shape.of(values.length, 1), values.clone());
            case BINARY -> Datasets.labelColumn(labels);
            case MULTICLASS -> Datasets.toCategorical(labels, classes.size());
        };
    }

    /** What a saved model keeps of this, to read raw files later ({@code data_config}). */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "csv");
        c.put("inputs", inputs);
        c.put("target", target);
        c.put("task", task.id());
        c.put("classes", classes);
        return c;
    }
}
