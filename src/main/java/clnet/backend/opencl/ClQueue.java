package clnet.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;

import org.jocl.CLException;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;

/**
 * The context of one device and its one in-order command queue: every op of an
 * {@link OpenClBackend} is enqueued here, in the order it was called, and runs in that order.
 */
final class ClQueue {
    final cl_context context;
    final cl_command_queue queue;

    ClQueue(ClDevice device) {
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, device.platform());
        context = clCreateContext(props, 1, new cl_device_id[] {device.device()}, null, null, null);
        try {
            queue = clCreateCommandQueue(context, device.device(), 0, null);
        } catch (CLException e) {
            clReleaseContext(context);
            throw e;
        }
    }

    /** Waits for everything enqueued so far. */
    void finish() {
        try {
            clFinish(queue);
        } catch (CLException e) {
            throw OpenClException.of(e, "waiting for the device");
        }
    }

    /** Waits for the queue where it still can: a device past caring does not stop a close. */
    void drain() {
        try {
            clFinish(queue);
        } catch (CLException e) {
            // closing anyway
        }
    }

    /** Releases queue and context; {@link #drain()} first. */
    void release() {
        drain();
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
