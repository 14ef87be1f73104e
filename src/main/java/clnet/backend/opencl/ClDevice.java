package clnet.backend.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_DEVICE_MEM_BASE_ADDR_ALIGN;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_OPENCL_C_VERSION;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ACCELERATOR;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_CPU;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetPlatformInfo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * An OpenCL device as {@code clnet devices} lists it, addressed as {@code opencl:P:D}
 * (platform index, device index within the platform).
 */
public record ClDevice(int platformIndex, int deviceIndex, String platformName, String name, String type,
                       int computeUnits, long globalMemBytes, long localMemBytes, long maxAllocBytes,
                       long maxWorkGroupSize, String deviceVersion, String openclCVersion,
                       cl_platform_id platform, cl_device_id device) {

    public String id() {
        return "opencl:" + platformIndex + ":" + deviceIndex;
    }

    /** Where a sub-buffer may start: a multiple of this many bytes (CL_DEVICE_MEM_BASE_ADDR_ALIGN, given in bits). */
    public long baseAddressAlignBytes() {
        return Math.max(4L, deviceInt(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN) / 8);
    }

    public boolean isGpu() {
        return type.equals("GPU");
    }

    public boolean isAccelerator() {
        return type.equals("ACCELERATOR");
    }

    public boolean isCpu() {
        return type.equals("CPU");
    }

    /**
     * Every OpenCL device of every platform, in the order of the platforms and devices the
     * ICD loader reports. Empty when there is no OpenCL driver at all.
     */
    public static List<ClDevice> all() {
        List<ClDevice> out = new ArrayList<>();
        cl_platform_id[] platforms;
        try {
            CL.setExceptionsEnabled(true);
            int[] n = new int[1];
            clGetPlatformIDs(0, null, n);
            platforms = new cl_platform_id[n[0]];
            clGetPlatformIDs(n[0], platforms, null);
        } catch (CLException e) {
            if (e.getStatus() == OpenClException.PLATFORM_NOT_FOUND) {
                return out;
            }
            throw OpenClException.of(e, "listing OpenCL platforms");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // no libOpenCL.so (the ICD loader) on this machine
            return out;
        }
        for (int p = 0; p < platforms.length; p++) {
            cl_device_id[] devices;
            try {
                int[] n = new int[1];
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, n);
                devices = new cl_device_id[n[0]];
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, n[0], devices, null);
            } catch (CLException e) {
                continue; // CL_DEVICE_NOT_FOUND: a platform without devices
            }
            String platformName;
            try {
                platformName = platformString(platforms[p], CL_PLATFORM_NAME);
            } catch (CLException e) {
                continue; // a broken driver (a stale ICD) is passed over, not allowed to hide the others
            }
            for (int d = 0; d < devices.length; d++) {
                cl_device_id dev = devices[d];
                try {
                    out.add(new ClDevice(p, d, platformName, deviceString(dev, CL_DEVICE_NAME),
                            typeName(deviceLong(dev, CL_DEVICE_TYPE)), (int) deviceInt(dev, CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceLong(dev, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(dev, CL_DEVICE_LOCAL_MEM_SIZE),
                            deviceLong(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            deviceSize(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceString(dev, CL_DEVICE_VERSION),
                            deviceString(dev, CL_DEVICE_OPENCL_C_VERSION), platforms[p], dev));
                } catch (CLException e) {
                    // a device that cannot say what it is (an OpenCL 1.0 one has no C version): passed over,
                    // the others keep their numbers
                }
            }
        }
        return out;
    }

    private static String typeName(long type) {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) {
            return "GPU";
        }
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return "ACCELERATOR";
        }
        if ((type & CL_DEVICE_TYPE_CPU) != 0) {
            return "CPU";
        }
        return "OTHER";
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    /** A string property of the device ({@code CL_DRIVER_VERSION}, ...). */
    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    /** The text of a NUL-terminated C string from OpenCL. */
    static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_long, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_int, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }

    /** The line {@code clnet devices} prints, and a second with the details. */
    public String describe() {
        return String.format(Locale.ROOT, "%s  %s / %s%n    type %s, %d compute units, global memory %s,"
                        + " local memory %s, max allocation %s, max work-group %d, %s",
                id(), platformName, name, type, computeUnits, bytes(globalMemBytes), bytes(localMemBytes),
                bytes(maxAllocBytes), maxWorkGroupSize, openclCVersion);
    }

    public static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%d KiB", b >> 10);
    }
}
