package clnet.backend.opencl;

/**
 * A kernel file that the device's OpenCL compiler rejected. The message carries the file
 * name and the compiler's log, whose lines read {@code gemm.cl:12:5: error: ...}.
 */
public final class KernelBuildException extends OpenClException {
    private final String file;
    private final String log;

    public KernelBuildException(String file, String device, String log, int status) {
        super("kernel " + file + " failed to build on " + device + ":\n" + log, status, null);
        this.file = file;
        this.log = log;
    }

    public String file() {
        return file;
    }

    /** The compiler's log, with its source references rewritten to the file name. */
    public String log() {
        return log;
    }
}
