package clnet.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clnet.backend.opencl.ClDevice;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --devices all: the largest set of devices that compute alike, since replicas share gradients, not weights. */
class DeviceGroupTest {
    private static ClDevice device(int platform, int index, String platformName, String name) {
        return new ClDevice(platform, index, platformName, name, "GPU", 80, 1L << 34, 1 << 16, 1L << 32, 1024,
                "OpenCL 3.0 CUDA", "OpenCL C 1.2", null, null);
    }

    @Test
    void allTakesTheLargestSetOfIdenticalDevices() {
        ClDevice a0 = device(0, 0, "NVIDIA CUDA", "NVIDIA H200");
        ClDevice a1 = device(0, 1, "NVIDIA CUDA", "NVIDIA H200");
        ClDevice other = device(1, 0, "rusticl", "NVIDIA H200"); // the same GPU through another driver
        ClDevice small = device(2, 0, "AMD", "gfx90a");
        assertEquals(List.of(a0, a1), DeviceGroup.alike(List.of(other, a0, small, a1)));
        assertEquals(List.of(other), DeviceGroup.alike(List.of(other, small)), "a tie: the first set");
        assertEquals(List.of(), DeviceGroup.alike(List.of()));
    }
}
