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

    /**
     * Refuses now, as a usage error of {@code option}, files that could not be written later
     * (after hours of training): a directory, link or device at one of them, a parent that is a
     * file or cannot be written. Creates the missing parent directories, as the write would.
     */
    static void requireWritable(CommandLine cl, String option, java.nio.file.Path... files) {
        try {
            for (java.nio.file.Path f : files) {
                // an ancestor that is a file: say so, rather than "already exists"
                for (java.nio.file.Path a = f.toAbsolutePath().getParent(); a != null; a = a.getParent()) {
                    if (java.nio.file.Files.exists(a)) {
                        if (!java.nio.file.Files.isDirectory(a)) {
                            throw new java.io.IOException(a + ": is not a directory");
                        }
                        break;
                    }
                }
                clnet.files.SafeFiles.requireWritable(f);
            }
            if (files.length > 0) {
                clnet.io.ModelFile.checkWritable(files[0]); // a probe file: the directory takes new files
            }
        } catch (java.io.IOException e) {
            throw new CommandLine.ParameterException(cl, option + ": " + Main.message(e));
        }
    }
}
