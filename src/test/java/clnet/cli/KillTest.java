package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.tensor.Rng;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: {@code clnet train} with a checkpoint every epoch and a final save, killed
 * with SIGKILL at 20 seeded random moments (starting, training, checkpointing, saving).
 * Every file at a final path must be complete and load; the temporary files a kill leaves
 * must be gone after the next run that writes to the same place.
 */
class KillTest {
    private static final int KILLS = 20;

    @TempDir
    Path dir;

    private Process start(Path checkpoint, Path save, int epochs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "clnet.cli.Main", "train", "--data", "testdata/mnist-subset",
                "--layers", "256,256", "--epochs", Integer.toString(epochs), "--device", "cpu", "--validation-split",
                "0.5", "--checkpoint", checkpoint.toString(), "--save", save.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile());
        pb.environment().put("CLNET_RELAUNCHED", "1"); // no second JVM that a kill of the first would orphan
        pb.environment().put("CLNET_CACHE_DIR", dir.resolve("cache").toString());
        return pb.start();
    }

    @Test
    void killedRunsLeaveOnlyCompleteFilesAndTheNextRunCleansUp() throws Exception {
        Path checkpoint = dir.resolve("ck.safetensors"); // one name: the first epoch of the next run always writes it
        Path save = dir.resolve("final.safetensors");
        Rng rng = new Rng(20261129);
        int incomplete = 0;
        int checked = 0;
        int withTemporaries = 0; // kills after which a temporary file of a killed save was there
        for (int k = 0; k < KILLS; k++) {
            Process p = start(checkpoint, save, 4);
            if (k % 2 == 0) {
                Thread.sleep(300 + rng.nextInt(4700)); // the JVM starts in about 0.5 s; 4 epochs take a few seconds
            } else {
                // every other kill aimed at a save: as soon as a temporary file appears, after a random delay
                long until = System.nanoTime() + 10_000_000_000L;
                while (temporaries().isEmpty() && p.isAlive() && System.nanoTime() < until) {
                    Thread.sleep(1); // not a spin: the run needs both cores
                }
                Thread.sleep(rng.nextInt(3));
            }
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            for (Path f : finalFiles()) {
                checked++;
                try (CpuBackend b = new CpuBackend(); Sequential m = ModelFile.load(f, b)) {
                    assertTrue(m.paramCount() > 0);
                } catch (Exception e) {
                    incomplete++;
                    System.err.println("kill " + k + ": " + f + ": " + e.getMessage());
                }
            }
            withTemporaries += temporaries().isEmpty() ? 0 : 1;
        }
        // the next run that writes to the same places, to the end
        Process last = start(checkpoint, save, 2);
        assertTrue(last.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, last.exitValue(), Files.readString(dir.resolve("log.txt")));
        System.out.printf("kill test: %d kills, %d files at final paths checked, %d incomplete, kills that left"
                + " temporaries behind: %d, temporaries after the next run: %d%n", KILLS, checked, incomplete,
                withTemporaries, temporaries().size());
        assertTrue(checked > 0, "some kills came after a save completed");
        assertTrue(withTemporaries > 0, "some kills came in the middle of a save");
        assertEquals(0, incomplete, "files at final paths that do not load");
        assertEquals(List.of(), temporaries(), "temporary files left after the next run");
    }

    private List<Path> finalFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                    && !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private List<Path> temporaries() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

}
