package clnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import clnet.backend.Backend;
import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel steps exchange the gradients' group as one tensor where every device lays it
 * out alike, and one tensor per parameter where devices align groups differently; a
 * deterministic run ends with the same weights, bit for bit, either way and on one device.
 */
class GradientExchangeTest {
    /** A CPU backend that places group parts as a device with 8-float alignment would. */
    private static final class AlignedBy8 extends CpuBackend {
        @Override
        public int groupAlignment() {
            return 8;
        }
    }

    /** The weights after training, and in {@code launches[0]} the ops the second device ran. */
    private static List<HostTensor> train(Backend second, long[] launches) {
        Rng rng = new Rng(11);
        HostTensor x = HostTensor.zeros(96, 7);
        HostTensor y = HostTensor.zeros(96, 3);
        for (int i = 0; i < 96; i++) {
            for (int j = 0; j < 7; j++) {
                x.set(i, j, rng.nextFloat() - 0.5f);
            }
            y.set(i, i % 3, 1f);
        }
        try (Backend first = new CpuBackend(); Sequential m = new Sequential(first)) {
            m.add(new Dense(9, "tanh").inputShape(7)); // parts of 63 and 9 floats: padded at alignment 8
            m.add(new Dense(3, "softmax"));
            m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
            FitOptions o = new FitOptions().epochs(2).batchSize(32).verbose(0).deterministic(true);
            m.fit(x, y, second == null ? o : o.devices(List.of(m.backend(), second)));
            launches[0] = second == null ? 0 : second.launches();
            return m.getWeights();
        } finally {
            if (second != null) {
                second.close();
            }
        }
    }

    @Test
    void wholesOrPartsTheSameWeights() {
        long[] wholeOps = new long[1];
        long[] partOps = new long[1];
        List<HostTensor> one = train(null, new long[1]);
        List<HostTensor> wholes = train(new CpuBackend(), wholeOps); // both align by 1: one tensor goes across
        List<HostTensor> parts = train(new AlignedBy8(), partOps); // layouts differ: tensor by tensor
        // each device sums its 4 micro-shards and the other device's root: by one axpy (and one
        // copy, one fill) per tree node over the whole, or by one per parameter (4 of them)
        org.junit.jupiter.api.Assertions.assertTrue(wholeOps[0] < partOps[0],
                wholeOps[0] + " ops with wholes, " + partOps[0] + " part by part");
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i).data(), wholes.get(i).data(), "weight " + i + ", groups exchanged whole");
            assertArrayEquals(one.get(i).data(), parts.get(i).data(), "weight " + i + ", exchanged part by part");
        }
    }
}
