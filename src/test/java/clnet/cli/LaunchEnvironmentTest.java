package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What java -jar clnet.jar sets before it starts itself again: the rules, without the relaunch. */
class LaunchEnvironmentTest {

    @Test
    void theCoreFollowsTheCpusFlags() {
        String cpuinfo = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\n"
                + "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl\n\nprocessor\t: 1\nflags\t: fpu\n";
        Set<String> flags = LaunchEnvironment.cpuFlags(cpuinfo);
        assertEquals(Set.of("fpu", "sse2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"), flags);
        assertEquals("SkylakeX", LaunchEnvironment.openBlasCore(flags));
        // AVX-512 without the vector-length extension: not enough for OpenBLAS's SkylakeX kernels
        assertEquals("Haswell", LaunchEnvironment.openBlasCore(Set.of("avx2", "fma", "avx512f", "avx512bw",
                "avx512dq")));
        assertNull(LaunchEnvironment.openBlasCore(Set.of("sse2", "avx")), "older cores: OpenBLAS decides");
        assertEquals(Set.of(), LaunchEnvironment.cpuFlags("no flags line\n"));
    }

    /** A debugger's agent holds its port in the first JVM: the second would fail to start with it. */
    @Test
    void theRelaunchKeepsTheJvmOptionsButADebugger() {
        List<String> in = List.of("-Xmx2g", "-agentlib:jdwp=transport=dt_socket,server=y,address=5005",
                "-Dclnet.cpu.threads=2", "-Xrunjdwp:transport=dt_socket", "-Xdebug", "-agentlib:hprof");
        assertEquals(List.of("-Xmx2g", "-Dclnet.cpu.threads=2", "-agentlib:hprof"),
                LaunchEnvironment.childJvmArguments(in));
    }
}
