package clnet.cli;

import clnet.backend.cpu.CpuBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The environment settings that must exist before the JVM starts, because the native
 * libraries read them when they load; {@code scripts/clnet} sets them all, and
 * {@code java -jar clnet.jar} started without them starts itself again with them, once.
 * <ul>
 *   <li>{@code LD_PRELOAD} of the JDK's signal-chaining library (libjsig). OpenCL drivers
 *       built on LLVM (PoCL among them) install their own SIGSEGV handler when they compile
 *       a kernel. The JVM uses SIGSEGV internally (safepoints, null checks), so after that
 *       the first such signal kills the process. With libjsig preloaded, the driver's
 *       handler is chained behind the JVM's and both work.</li>
 *   <li>{@code OPENBLAS_CORETYPE}, the CPU core OpenBLAS's kernels are chosen for. Its
 *       run-time detection misreads some (virtual) CPUs and falls back to generic kernels,
 *       five times slower; the CPU's feature flags say which core family it is. A value
 *       already set is respected (some machines set it because older builds fail on their
 *       core), and the CPU backend checks its BLAS against EJML whatever the core.</li>
 *   <li>{@code OPENBLAS_NUM_THREADS=1} where OpenBLAS's pthreads build is installed, unless
 *       it or {@code OMP_NUM_THREADS} is set: the CPU backend then splits each product over
 *       the cores on threads of its own, and OpenBLAS must not start threads of its own
 *       beside them (see {@code NativeBlas}). Another build would run each product on one
 *       core.</li>
 * </ul>
 */
final class LaunchEnvironment {
    /** Set in the relaunched process, so that a failed preload cannot loop. */
    private static final String RELAUNCHED = "CLNET_RELAUNCHED";

    private LaunchEnvironment() {
    }

    /** The variables to add before clnet runs; empty when nothing is missing (or after one relaunch). */
    static Map<String, String> missing() {
        Map<String, String> add = new LinkedHashMap<>();
        if (!System.getProperty("os.name", "").startsWith("Linux") || System.getenv(RELAUNCHED) != null) {
            return add;
        }
        try {
            Path lib = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
            if (Files.isRegularFile(lib) && !Files.readString(Path.of("/proc/self/maps")).contains("libjsig")) {
                String preload = System.getenv("LD_PRELOAD");
                add.put("LD_PRELOAD", lib + (preload == null || preload.isBlank() ? "" : ":" + preload));
            }
            if (blank(System.getenv("OPENBLAS_NUM_THREADS")) && blank(System.getenv("OMP_NUM_THREADS"))
                    && CpuBackend.pthreadsBlas() != null) {
                add.put("OPENBLAS_NUM_THREADS", "1");
            }
            String core = System.getenv("OPENBLAS_CORETYPE");
            if (core == null || core.isBlank()) {
                String wanted = openBlasCore(cpuFlags(Files.readString(Path.of("/proc/cpuinfo"))));
                if (wanted != null) {
                    add.put("OPENBLAS_CORETYPE", wanted);
                }
            }
        } catch (IOException | RuntimeException e) {
            return add; // without /proc, run as we are
        }
        return add;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** The feature flags of the first processor in a /proc/cpuinfo text. */
    static Set<String> cpuFlags(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("flags")) {
                int colon = line.indexOf(':');
                return Set.of(line.substring(colon + 1).trim().split("\\s+"));
            }
        }
        return Set.of();
    }

    /**
     * OpenBLAS's name for the core family these flags describe: {@code SkylakeX} where the
     * AVX-512 foundation, byte/word, doubleword/quadword and vector-length extensions are
     * there (its AVX-512 kernels need exactly these), {@code Haswell} with AVX2 and FMA, and
     * null (leave it to OpenBLAS) otherwise. scripts/clnet applies the same rule.
     */
    static String openBlasCore(Set<String> flags) {
        if (flags.containsAll(Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl"))) {
            return "SkylakeX";
        }
        if (flags.containsAll(Set.of("avx2", "fma"))) {
            return "Haswell";
        }
        return null;
    }

    /**
     * This JVM's options for the child, less a debugger's agent: this process holds its
     * port, so a child given the same would fail to start (the child is not debugged;
     * setting OPENBLAS_NUM_THREADS=1 before starting debugs the command without a relaunch).
     */
    static List<String> childJvmArguments(List<String> inputArguments) {
        return inputArguments.stream()
                .filter(a -> !a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp") && !a.equals("-Xdebug"))
                .toList();
    }

    /** Runs this same command line in a JVM with {@code add} in its environment; returns its exit code. */
    static int relaunch(Map<String, String> add, String[] args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(childJvmArguments(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().putAll(add);
        // their options are among the arguments passed on (a debugger's left out): not twice
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().put(RELAUNCHED, "1");
        Process child = pb.start();
        // a TERM to this process ends the child too (a terminal's Ctrl-C reaches both anyway)
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));
        return child.waitFor();
    }
}
