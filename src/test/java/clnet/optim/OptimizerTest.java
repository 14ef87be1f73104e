package clnet.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clnet.Tensors;
import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.backend.Parameter;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two steps of each optimizer, from w = (0.5, -1) with the gradient (0.2, -0.4) both
 * times, against values worked out by hand from Keras's update rules (see the comments).
 */
class OptimizerTest {

    private static float[] twoSteps(Optimizer opt) {
        try (Backend b = new CpuBackend();
             Tensor w = b.upload(HostTensor.of(Shape.of(1, 2), 0.5f, -1f));
             Tensor g = b.upload(HostTensor.of(Shape.of(1, 2), 0.2f, -0.4f))) {
            opt.attach(b, List.of(new Parameter("w", w, g)));
            opt.step();
            opt.step();
            assertEquals(2, opt.iterations());
            float[] out = b.download(w).data();
            opt.close();
            return out;
        }
    }

    @Test
    void plainSgd() {
        // w -= lr g, twice: 0.5 - 2 * 0.1 * 0.2 = 0.46
        Tensors.assertClose("sgd", new float[] {0.46f, -0.92f}, twoSteps(new SGD(0.1f)), 1e-6, 1e-6);
    }

    @Test
    void sgdWithMomentum() {
        // v1 = -0.02, w1 = 0.48; v2 = 0.9 v1 - 0.02 = -0.038, w2 = 0.442
        Tensors.assertClose("momentum", new float[] {0.442f, -0.884f}, twoSteps(new SGD(0.1f, 0.9f, false)),
                1e-6, 1e-6);
    }

    @Test
    void sgdWithNesterov() {
        // w += 0.9 v - lr g: w1 = 0.5 - 0.038 = 0.462, w2 = 0.462 + 0.9 (-0.038) - 0.02 = 0.4078
        Tensors.assertClose("nesterov", new float[] {0.4078f, -0.8156f}, twoSteps(new SGD(0.1f, 0.9f, true)),
                1e-6, 1e-6);
    }

    @Test
    void rmsprop() {
        // v1 = 0.1 * 0.04 = 0.004, inc1 = 0.01 * 0.2 / sqrt(0.004 + 1e-7) = 0.0316224;
        // v2 = 0.9 v1 + 0.004 = 0.0076, inc2 = 0.002 / sqrt(0.0076001) = 0.0229414
        Tensors.assertClose("rmsprop", new float[] {0.44543620f, -0.94543579f},
                twoSteps(new RMSprop(0.01f, 0.9f, 0f, 1e-7f)), 1e-6, 1e-6);
    }

    @Test
    void rmspropWithMomentum() {
        // m1 = inc1 = 0.0316224; m2 = 0.5 m1 + inc2 = 0.0387526
        Tensors.assertClose("rmsprop momentum", new float[] {0.42962501f, -0.92962445f},
                twoSteps(new RMSprop(0.01f, 0.9f, 0.5f, 1e-7f)), 1e-6, 1e-6);
    }

    @Test
    void adam() {
        // Step 1: m = 0.02, v = 4e-5, alpha = 0.01 sqrt(0.001) / 0.1, update = alpha m / sqrt(v)
        // = 0.01 (a constant gradient moves Adam by lr per step, up to epsilon).
        Tensors.assertClose("adam", new float[] {0.48000027f, -0.98000013f}, twoSteps(new Adam(0.01f)), 2e-6, 1e-6);
    }

    @Test
    void kerasDefaults() {
        assertEquals(0.001f, new RMSprop().learningRate());
        assertEquals(0.001f, new Adam().learningRate());
        assertEquals(0.01f, new SGD().learningRate());
        assertEquals(0.9f, ((Number) new RMSprop().config().get("rho")).floatValue());
        assertEquals(1e-7f, ((Number) new RMSprop().config().get("epsilon")).floatValue());
        assertEquals(0.999f, ((Number) new Adam().config().get("beta_2")).floatValue());
    }

    @Test
    void configRoundTrip() {
        Optimizer o = Optimizer.fromConfig("rmsprop", new RMSprop(0.002f, 0.8f, 0.1f, 1e-6f).config());
        Tensors.assertClose("rmsprop from config", twoSteps(new RMSprop(0.002f, 0.8f, 0.1f, 1e-6f)), twoSteps(o), 0, 0);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SGD(-1f));
        assertThrows(IllegalArgumentException.class, () -> new SGD(0.1f, 1.5f, false));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.create("adagrad", null, null));
        assertThrows(IllegalArgumentException.class, () -> new Adam(Float.NaN));
    }
}
