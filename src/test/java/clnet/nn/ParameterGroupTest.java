package clnet.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model's weights, gradients and optimizer slots live in tensor groups, one optimizer op
 * per step; where one buffer of the device cannot hold them all, in tensors of their own,
 * one op per parameter, and training is the same either way.
 */
class ParameterGroupTest {
    /** A CPU backend whose largest tensor is {@code maxBytes}, as a small device's would be. */
    private static final class SmallBuffers extends CpuBackend {
        private final long maxBytes;

        SmallBuffers(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        public long maxAllocationBytes() {
            return maxBytes;
        }
    }

    /** Eight steps of trainOnBatch; {@code ops[0]} gets the ops of the last one. */
    private static List<HostTensor> train(Backend b, long[] ops) {
        Rng rng = new Rng(3);
        float[] x = new float[16 * 20];
        float[] y = new float[16 * 4];
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 20; j++) {
                x[i * 20 + j] = rng.nextFloat();
            }
            y[i * 4 + i % 4] = 1f;
        }
        try (b; Sequential m = new Sequential(b);
             Tensor xb = b.alloc(16, 20);
             Tensor yb = b.alloc(16, 4);
             Tensor metrics = b.alloc(1, 4)) {
            m.add(new Dense(30, "relu").inputShape(20)); // kernel 600 floats, the largest tensor
            m.add(new Dense(4, "softmax"));
            m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
            b.upload(x, xb);
            b.upload(y, yb);
            for (int step = 0; step < 8; step++) {
                long before = b.launches();
                m.trainOnBatch(xb, yb, metrics, 0);
                ops[0] = b.launches() - before;
            }
            return m.getWeights();
        }
    }

    @Test
    void aModelTooLargeForOneBufferTrainsTheSameWithATensorPerParameter() {
        long[] grouped = new long[1];
        long[] loose = new long[1];
        List<HostTensor> a = train(new CpuBackend(), grouped);
        // 600 + 30 + 120 + 4 weights need 3016 bytes in one buffer; each fits in 2400
        List<HostTensor> b = train(new SmallBuffers(2400), loose);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).data(), b.get(i).data(), "weight " + i);
        }
        assertEquals(grouped[0] + 3, loose[0], "one Adam op per parameter (4) instead of one for all");
    }
}
