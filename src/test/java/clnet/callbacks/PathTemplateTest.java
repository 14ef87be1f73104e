package clnet.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checkpoint names formatted as Keras formats them: Python's str.format, field by field. */
class PathTemplateTest {

    /** Every line of testdata/python-format.tsv: what Python 3 wrote for the value and the spec. */
    @Test
    void numbersAreWrittenAsPythonWritesThem() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("testdata/python-format.tsv"));
        int checked = 0;
        for (String line : lines) {
            if (line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String value = f[0];
            String spec = f[1].isEmpty() ? "" : ":" + f[1];
            String got;
            if (value.matches("-?\\d+")) { // an int: the epoch
                got = new PathTemplate("{epoch" + spec + "}").format(Integer.parseInt(value), Map.of());
            } else {
                double v = switch (value) {
                    case "nan" -> Double.NaN;
                    case "inf" -> Double.POSITIVE_INFINITY;
                    case "-inf" -> Double.NEGATIVE_INFINITY;
                    default -> Double.parseDouble(value);
                };
                got = new PathTemplate("{v" + spec + "}").format(1, Map.of("v", v));
            }
            assertEquals(f[2], got, "format(" + value + ", '" + f[1] + "')");
            checked++;
        }
        assertTrue(checked > 600, "the table was read: " + checked);
    }

    @Test
    void kerasCheckpointNames() {
        Map<String, Double> logs = Map.of("loss", 0.2345, "val_loss", 0.41234, "val_accuracy", 0.9871);
        assertEquals("weights.03-0.41.safetensors",
                new PathTemplate("weights.{epoch:02d}-{val_loss:.2f}.safetensors").format(3, logs));
        assertEquals("ck-3.safetensors", new PathTemplate("ck-{epoch}.safetensors").format(3, logs));
        assertEquals("m{0.9871}-{}", new PathTemplate("m{{{val_accuracy}}}-{{}}").format(7, logs));
        assertEquals("plain.safetensors", new PathTemplate("plain.safetensors").format(1, logs));
    }

    @Test
    void badTemplatesAreRefusedWhenMadeAndMissingFieldsNameWhatThereIs() {
        assertEquals("checkpoint path ck-{epoch.safetensors: a '{' without its '}'",
                assertThrows(IllegalArgumentException.class, () -> new PathTemplate("ck-{epoch.safetensors"))
                        .getMessage());
        assertEquals("checkpoint path ck-}.st: a single '}' (write '}}' for a brace)",
                assertThrows(IllegalArgumentException.class, () -> new PathTemplate("ck-}.st")).getMessage());
        assertEquals("checkpoint path ck-{epoch:>3}.st: format '>3' is not one this takes"
                        + " ([0][width][.precision][d|f|e|g|%])",
                assertThrows(IllegalArgumentException.class, () -> new PathTemplate("ck-{epoch:>3}.st")).getMessage());
        assertEquals("checkpoint path ck-{}.st: '{}' does not name a field (epoch, loss, val_loss, ...)",
                assertThrows(IllegalArgumentException.class, () -> new PathTemplate("ck-{}.st")).getMessage());
        assertEquals("checkpoint path ck-{val_acc:.2f}.st: no 'val_acc' to put in it; there are epoch, loss",
                assertThrows(IllegalArgumentException.class,
                        () -> new PathTemplate("ck-{val_acc:.2f}.st").format(1, Map.of("loss", 1.0))).getMessage());
        // what Python refuses: 'd' of a float (the logs hold floats, even 3.0), a precision for an int
        assertThrows(IllegalArgumentException.class, () -> new PathTemplate("{loss:d}").format(1, Map.of("loss", 3.0)));
        assertThrows(IllegalArgumentException.class, () -> new PathTemplate("{epoch:.2}").format(1, Map.of()));
    }
}
