package clnet.cli;

import java.io.PrintStream;
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
                DevicesCommand.class, VerifyCommand.class, BenchCommand.class,
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
        java.nio.file.Path jsig = SignalChaining.missingLibrary();
        if (jsig != null) {
            System.exit(SignalChaining.relaunch(jsig, args));
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
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** One line: the exception's message, or its type when it has none. */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException n && n.getReason() == null) {
            // the message is the bare path; one with a reason says what is missing already
            return m + ": no such file";
        }
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"clnet " + (v == null ? "(development build)" : v)};
        }
    }
}
