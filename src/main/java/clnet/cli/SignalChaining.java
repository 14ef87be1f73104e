package clnet.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes sure the JVM runs with the JDK's signal-chaining library (libjsig) preloaded.
 *
 * <p>OpenCL drivers built on LLVM (PoCL among them) install their own SIGSEGV handler when
 * they compile a kernel. The JVM uses SIGSEGV internally (safepoints, null checks), so after
 * that the first such signal kills the process. With libjsig preloaded, the driver's
 * handler is chained behind the JVM's and both work. {@code scripts/clnet} sets
 * {@code LD_PRELOAD}; for {@code java -jar clnet.jar} started without it, clnet starts
 * itself again with it, once.
 */
final class SignalChaining {
    /** Set in the relaunched process, so that a failed preload cannot loop. */
    private static final String RELAUNCHED = "CLNET_RELAUNCHED";

    private SignalChaining() {
    }

    /** The library to preload, or null where it is loaded already, absent, or not wanted. */
    static Path missingLibrary() {
        if (!System.getProperty("os.name", "").startsWith("Linux") || System.getenv(RELAUNCHED) != null) {
            return null;
        }
        Path lib = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        try {
            if (!Files.isRegularFile(lib) || Files.readString(Path.of("/proc/self/maps")).contains("libjsig")) {
                return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return lib;
    }

    /** Runs this same command line in a JVM with {@code lib} preloaded; returns its exit code. */
    static int relaunch(Path lib, String[] args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        String preload = System.getenv("LD_PRELOAD");
        pb.environment().put("LD_PRELOAD", lib + (preload == null || preload.isBlank() ? "" : ":" + preload));
        pb.environment().put(RELAUNCHED, "1");
        Process child = pb.start();
        // a TERM to this process ends the child too (a terminal's Ctrl-C reaches both anyway)
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));
        return child.waitFor();
    }
}
