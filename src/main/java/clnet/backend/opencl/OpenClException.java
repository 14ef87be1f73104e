package clnet.backend.opencl;

import org.jocl.CL;
import org.jocl.CLException;

/**
 * An OpenCL failure, in words a user can act on. The common causes get their own
 * sentences; anything else names the OpenCL status and the call that returned it.
 */
public class OpenClException extends RuntimeException {
    private final int status;

    public OpenClException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public OpenClException(String message) {
        this(message, 0, null);
    }

    /** The OpenCL status code (CL_OUT_OF_RESOURCES is -5, and so on), or 0. */
    public int status() {
        return status;
    }

    /** -1001, CL_PLATFORM_NOT_FOUND_KHR: the ICD loader found no driver. */
    public static final int PLATFORM_NOT_FOUND = -1001;

    public static final String NO_DRIVER = "no OpenCL driver found; see README (Debian: apt-get install"
            + " pocl-opencl-icd ocl-icd-libopencl1, or the GPU vendor's OpenCL driver)";

    /** Translates a JOCL exception raised while doing {@code what}. */
    static OpenClException of(CLException e, String what) {
        int s = e.getStatus();
        String text = switch (s) {
            case PLATFORM_NOT_FOUND -> NO_DRIVER;
            case CL.CL_MEM_OBJECT_ALLOCATION_FAILURE ->
                    "out of device memory while " + what + " (" + CL.stringFor_errorCode(s) + ")";
            case CL.CL_OUT_OF_HOST_MEMORY -> "out of host memory while " + what + " (CL_OUT_OF_HOST_MEMORY)";
            // ops run asynchronously, so this may surface at a later wait, read or write than the op it concerns
            case CL.CL_OUT_OF_RESOURCES -> "the device ran out of resources while " + what + " (CL_OUT_OF_RESOURCES:"
                    + " memory, or on some drivers a kernel that failed, reported at this wait for an earlier op;"
                    + " --validate or clnet verify finds the op)";
            case CL.CL_INVALID_WORK_GROUP_SIZE -> "invalid work-group size while " + what
                    + " (CL_INVALID_WORK_GROUP_SIZE): the kernel needs a work-group the device does not allow";
            default -> "OpenCL error " + CL.stringFor_errorCode(s) + " (" + s + ") while " + what;
        };
        return new OpenClException(text, s, e);
    }
}
