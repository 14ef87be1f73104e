package clnet.cli;

import java.util.function.Supplier;
import picocli.CommandLine;

/** The one usage-error rule: a bad option value is exit 2 with the option's name and the reason. */
final class Usage {
    private Usage() {
    }

    /** {@code f}'s value, or a usage error of {@code cl} naming {@code option} when f refuses it. */
    static <T> T parse(CommandLine cl, String option, Supplier<T> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, option + ": " + e.getMessage());
        }
    }

    static void require(CommandLine cl, boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(cl, message);
        }
    }
}
