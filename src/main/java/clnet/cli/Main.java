package clnet.cli;

import clnet.backend.opencl.KernelBuildException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code clnet} command. Exit codes: 0 success, 1 a failure (one line on standard
 * error; the stack trace too with {@code --verbose}), 2 a usage error.
 */
@Command(name = "clnet", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train and run neural networks on OpenCL devices or the CPU.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, SummaryCommand.class,
                DevicesCommand.class, VerifyCommand.class, BenchCommand.class, PlotCommand.class, SweepCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where commands print results and progress (standard output, or a test's stream). */
    final PrintStream out;

    Main(PrintStream out) {
        this.out = out;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required; see clnet --help");
    }

    public static void main(String[] args) throws Exception {
        java.util.Map<String, String> missing = LaunchEnvironment.missing();
        if (!missing.isEmpty()) {
            System.exit(LaunchEnvironment.relaunch(missing, args));
        }
        System.exit(execute(args, System.out, System.err));
    }

    /** Runs the command line in-process and returns the exit code (for tests and main). */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Main(out));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            commandLine.getErr().println("clnet: error: " + message(e));
            if (verbose) {
                e.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return CommandLine.ExitCode.SOFTWARE;
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (OutOfMemoryError e) {
            // an Error, which picocli does not hand to the handler above
            err.printf("clnet: error: out of Java heap memory (the heap may grow to %d MiB); give it more with"
                    + " JAVA_OPTS=-Xmx<size>%n", Runtime.getRuntime().maxMemory() >> 20);
            code = CommandLine.ExitCode.SOFTWARE;
        }
        out.flush();
        err.flush();
        return code;
    }

    /**
     * One line: the exception's message, or its type when it has none. A kernel build
     * failure keeps the compiler's log on the lines after it.
     */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof KernelBuildException) {
            return m;
        }
        if (e instanceof FileSystemException f) {
            return fileProblem(f);
        }
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }

    /** "path: what is wrong" for the file-system errors, whose own messages may be a bare path. */
    private static String fileProblem(FileSystemException f) {
        String reason = f.getReason();
        if (reason == null) {
            reason = f instanceof NoSuchFileException ? "no such file"
                    : f instanceof AccessDeniedException ? "permission denied"
                    : f instanceof NotDirectoryException ? "not a directory"
                    : f instanceof FileAlreadyExistsException ? "already exists"
                    : f instanceof DirectoryNotEmptyException ? "directory not empty"
                    : f.getClass().getSimpleName();
        }
        return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + reason;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"clnet " + (v == null ? "(development build)" : v)};
        }
    }
}
