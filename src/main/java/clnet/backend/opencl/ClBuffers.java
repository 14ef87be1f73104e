package clnet.backend.opencl;

import static org.jocl.CL.CL_FALSE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateSubBuffer;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clReleaseEvent;
import static org.jocl.CL.clReleaseMemObject;
import static org.jocl.CL.clWaitForEvents;

import clnet.backend.DType;
import clnet.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Consumer;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_buffer_region;
import org.jocl.cl_event;
import org.jocl.cl_mem;

/**
 * The device memory of one {@link OpenClBackend}: buffers with their accounting (sizes are
 * checked against the device before anything is allocated; every buffer not freed by its
 * owner is freed at close), the transfers between host and device, and one scratch buffer
 * for intermediate results.
 *
 * <p>Small uploads go through two direct staging buffers used in turn (double buffering):
 * the copy to the device runs while the host prepares the next one, and a staging buffer is
 * reused only when its previous copy has completed. Large ones are written straight from the
 * Java array, blocking.
 */
final class ClBuffers {
    /** Uploads at least this large are written straight from the Java array, blocking. */
    private static final long STAGED_UPLOAD_LIMIT = 8L << 20;

    private final ClDevice device;
    private final ClQueue queue;
    private final Set<ClTensor> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private long liveBytes;
    private final Staging[] staging = {new Staging(), new Staging()};
    private int nextStaging;
    private cl_mem scratch;
    private long scratchBytes;

    /** A direct buffer for asynchronous uploads and the event of its last copy. */
    private static final class Staging {
        ByteBuffer buffer;
        cl_event pending;
    }

    ClBuffers(ClDevice device, ClQueue queue) {
        this.device = device;
        this.queue = queue;
    }

    long liveBuffers() {
        return live.size();
    }

    long liveBytes() {
        return liveBytes;
    }

    /** A new buffer for a tensor, refused with the sizes when the device cannot hold it. */
    cl_mem allocate(Shape shape, DType dtype) {
        long bytes = Math.max(4L, (long) shape.size() * dtype.bytes());
        if (bytes > device.maxAllocBytes() || liveBytes + bytes > device.globalMemBytes()) {
            throw new OpenClException(String.format(
                    "out of device memory: a %s tensor %s needs %s; %s allows at most %s per buffer and has %s"
                            + " of global memory, %s of it already held by clnet", dtype, shape, ClDevice.bytes(bytes),
                    device.id(), ClDevice.bytes(device.maxAllocBytes()), ClDevice.bytes(device.globalMemBytes()),
                    ClDevice.bytes(liveBytes)), CL.CL_MEM_OBJECT_ALLOCATION_FAILURE, null);
        }
        try {
            return clCreateBuffer(queue.context, CL_MEM_READ_WRITE, bytes, null, null);
        } catch (CLException e) {
            throw OpenClException.of(e, "allocating " + ClDevice.bytes(bytes) + " for a tensor " + shape);
        }
    }

    /** A sub-buffer of {@code parent}: {@code bytes} from {@code origin}, which the device's alignment allows. */
    cl_mem subBuffer(cl_mem parent, long origin, long bytes) {
        try {
            return clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL.CL_BUFFER_CREATE_TYPE_REGION,
                    new cl_buffer_region(origin, bytes), null);
        } catch (CLException e) {
            throw OpenClException.of(e, "making a sub-buffer of " + ClDevice.bytes(bytes) + " at byte " + origin);
        }
    }

    /** Counts {@code t} as live: freed by {@link #release} or at close. */
    void track(ClTensor t) {
        live.add(t);
        liveBytes += t.bytes();
    }

    void release(ClTensor t) {
        if (live.remove(t)) {
            for (cl_mem sub : t.subBuffers()) {
                clReleaseMemObject(sub);
            }
            clReleaseMemObject(t.mem());
            liveBytes -= t.bytes();
        }
    }

    /** What the device holds for clnet beyond the buffers, for an out-of-memory message. */
    String held() {
        return String.format("clnet holds %s in %d buffers of the device's %s", ClDevice.bytes(liveBytes),
                live.size(), ClDevice.bytes(device.globalMemBytes()));
    }

    /**
     * Copies a Java array into {@code d}: large ones straight from the array, blocking;
     * small ones through a staging buffer ({@code fill} copies them there), asynchronously.
     */
    void write(ClTensor d, Pointer array, Consumer<ByteBuffer> fill) {
        long bytes = 4L * d.size();
        if (bytes == 0) {
            return;
        }
        try {
            if (bytes >= STAGED_UPLOAD_LIMIT) {
                clEnqueueWriteBuffer(queue.queue, d.mem(), CL_TRUE, 0, bytes, array, 0, null, null);
            } else {
                Staging s = staging[nextStaging];
                if (s.pending != null) {
                    clWaitForEvents(1, new cl_event[] {s.pending});
                    clReleaseEvent(s.pending);
                    s.pending = null;
                }
                if (s.buffer == null || s.buffer.capacity() < bytes) {
                    s.buffer = ByteBuffer.allocateDirect((int) Math.max(bytes, 64 << 10)).order(ByteOrder.nativeOrder());
                }
                s.buffer.clear();
                fill.accept(s.buffer);
                cl_event event = new cl_event();
                clEnqueueWriteBuffer(queue.queue, d.mem(), CL_FALSE, 0, bytes, Pointer.to(s.buffer), 0, null, event);
                s.pending = event;
                nextStaging = 1 - nextStaging;
            }
        } catch (CLException e) {
            throw OpenClException.of(e, "uploading a tensor " + d.shape());
        }
    }

    /** Waits for the ops queued so far, then copies {@code s} into {@code dst}. */
    void read(ClTensor s, float[] dst) {
        if (s.size() == 0) {
            return;
        }
        try {
            clEnqueueReadBuffer(queue.queue, s.mem(), CL_TRUE, 0, 4L * s.size(), Pointer.to(dst), 0, null, null);
        } catch (CLException e) {
            throw OpenClException.of(e, "reading a tensor " + s.shape() + " back from the device");
        }
    }

    /** A device buffer of at least {@code floats} floats for intermediate results, kept and grown. */
    cl_mem scratch(long floats) {
        long bytes = Math.max(4L, 4L * floats);
        if (bytes > scratchBytes) {
            if (scratch != null) {
                clReleaseMemObject(scratch); // freed once the kernels queued on it have run
            }
            try {
                scratch = clCreateBuffer(queue.context, CL_MEM_READ_WRITE, bytes, null, null);
            } catch (CLException e) {
                scratch = null;
                scratchBytes = 0;
                throw OpenClException.of(e, "allocating " + ClDevice.bytes(bytes) + " of scratch space");
            }
            scratchBytes = bytes;
        }
        return scratch;
    }

    /** Frees everything: staging, scratch, and the buffers their owners did not free. */
    void releaseAll() {
        for (Staging s : staging) {
            if (s.pending != null) {
                clReleaseEvent(s.pending);
                s.pending = null;
            }
            s.buffer = null;
        }
        // A buffer holds its context alive, so the ones left open are freed here; their own
        // close() then finds the backend closed and does nothing.
        for (ClTensor t : live) {
            for (cl_mem sub : t.subBuffers()) {
                clReleaseMemObject(sub);
            }
            clReleaseMemObject(t.mem());
        }
        live.clear();
        liveBytes = 0;
        if (scratch != null) {
            clReleaseMemObject(scratch);
            scratch = null;
        }
    }
}
