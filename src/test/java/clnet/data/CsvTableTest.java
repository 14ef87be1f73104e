package clnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV tables in both layouts, the task each target implies, and a clear refusal of each kind of bad file. */
class CsvTableTest {
    @TempDir
    Path dir;

    private Path csv(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private String refused(Path p) {
        CsvFormatException e = assertThrows(CsvFormatException.class,
                () -> Tabular.from(CsvTable.read(p), null, null, null, null));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        return e.getMessage().substring(p.toString().length() + 2);
    }

    @Test
    void theScikitLearnFilesReadWithTheirClassNamesAndTasks() throws IOException {
        Tabular cancer = Tabular.from(CsvTable.read(Path.of("testdata/sklearn/breast_cancer.csv")), null, null, null,
                null);
        assertEquals(Tabular.Task.BINARY, cancer.task());
        assertEquals(List.of("malignant", "benign"), cancer.classes());
        assertEquals(569, cancer.rows());
        assertEquals(30, cancer.inputs().size());
        Tabular iris = Tabular.from(CsvTable.read(Path.of("testdata/sklearn/iris.csv")), null, null, null, null);
        assertEquals(Tabular.Task.MULTICLASS, iris.task());
        assertEquals(List.of("setosa", "versicolor", "virginica"), iris.classes());
        Tabular boston = Tabular.from(CsvTable.read(Path.of("testdata/sklearn/boston_house_prices.csv")), null, null,
                null, null);
        assertEquals(Tabular.Task.REGRESSION, boston.task());
        assertEquals("MEDV", boston.target());
        assertEquals(506, boston.rows());
        assertEquals(24.0f, boston.values()[0]);
    }

    @Test
    void aHeaderQuotesAndTextClasses() throws IOException {
        Path p = csv("t.csv", "a,\"b, quoted\",kind\n1,2,cat\n3,\"4\",dog\n5,6,cat\n");
        Tabular t = Tabular.from(CsvTable.read(p), "kind", null, null, null);
        assertEquals(List.of("a", "b, quoted"), t.inputs());
        assertEquals(List.of("cat", "dog"), t.classes());
        assertArrayEquals(new int[] {0, 1, 0}, t.labels());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.x().data());
        Tabular[] split = t.split(0.34, 1);
        assertEquals(2, split[0].rows());
        assertEquals(1, split[1].rows());
    }

    @Test
    void aByteOrderMarkIsNoPartOfTheFirstName() throws IOException {
        Path p = csv("bom.csv", "\uFEFFid,x,y\n1,2,0\n2,3,1\n");
        assertEquals(List.of("id", "x", "y"), CsvTable.read(p).names());
    }

    @Test
    void eachKindOfBadFileIsNamedWithItsLineAndColumn() throws IOException {
        assertEquals("the file is empty", refused(csv("empty.csv", "")));
        assertEquals("the file has a header but no rows", refused(csv("header.csv", "a,b\n")));
        assertEquals("line 3 has 3 cells, the header 2", refused(csv("ragged.csv", "a,b\n1,2\n1,2,3\n")));
        assertEquals("line 2, column a: 'x' is not a finite number", refused(csv("text.csv", "a,b\nx,1\n2,0\n")));
        assertEquals("line 2, column a: 'NaN' is not a finite number", refused(csv("nan.csv", "a,b\nNaN,1\n2,0\n")));
        assertEquals("line 1: two columns named 'a'", refused(csv("dup.csv", "a,a\n1,2\n")));
        assertEquals("line 2: a quote is not closed", refused(csv("quote.csv", "a,b\n\"1,2\n")));
        assertEquals("line 1 declares 5 samples but the file holds 2 rows",
                refused(csv("sk.csv", "5,1,no,yes\n0.5,0\n0.7,1\n")));
        Files.write(dir.resolve("bin.csv"), new byte[] {'a', ',', 'b', '\n', (byte) 0xff, ',', '1', '\n'});
        assertEquals("not UTF-8 text", refused(dir.resolve("bin.csv")));
        assertTrue(refused(Path.of("/dev/zero").toAbsolutePath()).startsWith("is not a regular file"));
        CsvFormatException column = assertThrows(CsvFormatException.class,
                () -> Tabular.from(CsvTable.read(csv("ok.csv", "a,b\n1,2\n")), "c", null, null, null));
        assertTrue(column.getMessage().endsWith("no column 'c' (columns: a, b)"), column.getMessage());
    }
}
