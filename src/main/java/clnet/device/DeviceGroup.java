package clnet.device;

import clnet.backend.Backend;
import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.OpenClException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The devices of a data-parallel run, as {@code --devices} names them: {@code all} (the
 * largest set of identical OpenCL devices that are not CPUs, or of the CPU devices when there
 * are no others: {@link #alike}) or a comma-separated list of device names ({@link Backends}),
 * each at most once. The first is the primary: the
 * model lives there, and validation runs there.
 */
public final class DeviceGroup implements AutoCloseable {
    private final List<Backend> backends;

    private DeviceGroup(List<Backend> backends) {
        this.backends = List.copyOf(backends);
    }

    /**
     * The largest set of identical devices among {@code devices} (one platform, device model
     * and version; the first such set on a tie): replicas must compute alike, and two vendors'
     * GPUs, or one GPU that two platforms both expose, would not.
     */
    static List<ClDevice> alike(List<ClDevice> devices) {
        java.util.Map<String, List<ClDevice>> sets = new java.util.LinkedHashMap<>();
        for (ClDevice d : devices) {
            sets.computeIfAbsent(d.platformName() + "\n" + d.name() + "\n" + d.deviceVersion(),
                    k -> new java.util.ArrayList<>()).add(d);
        }
        List<ClDevice> best = List.of();
        for (List<ClDevice> set : sets.values()) {
            if (set.size() > best.size()) {
                best = set;
            }
        }
        return best;
    }

    /** The device names {@code spec} stands for; throws IllegalArgumentException for a malformed or repeated one. */
    public static List<String> names(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("no devices named (all, or a list such as opencl:0:0,opencl:0:1)");
        }
        if (s.equals("all")) {
            List<ClDevice> all = Backends.devices();
            if (all.isEmpty()) {
                throw new OpenClException(OpenClException.NO_DRIVER);
            }
            List<ClDevice> accelerators = all.stream().filter(d -> !d.isCpu()).toList();
            return alike(accelerators.isEmpty() ? all : accelerators).stream().map(ClDevice::id).toList();
        }
        Set<String> names = new LinkedHashSet<>();
        for (String part : s.split(",", -1)) {
            String name = part.trim();
            Backends.checkName(name);
            if (name.equals("auto")) {
                throw new IllegalArgumentException("'auto' picks one device; name the devices, or all");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("device " + name + " named twice");
            }
        }
        return List.copyOf(names);
    }

    /** Opens every device of {@code spec}; closes those opened if one fails. */
    public static DeviceGroup open(String spec) {
        return open(names(spec));
    }

    /** Opens the devices {@link #names} gave; closes those opened if one fails. */
    public static DeviceGroup open(List<String> names) {
        List<Backend> opened = new ArrayList<>();
        try {
            Set<String> devices = new LinkedHashSet<>();
            for (String name : names) {
                Backend b = Backends.open(name);
                opened.add(b);
                if (!devices.add(b.name())) { // opencl and opencl:0:0 can be one device
                    throw new IllegalArgumentException("'" + name + "' is " + b.name() + ", named already");
                }
            }
        } catch (RuntimeException e) {
            opened.forEach(Backend::close);
            throw e;
        }
        return new DeviceGroup(opened);
    }

    /** The backends, the primary first. */
    public List<Backend> backends() {
        return backends;
    }

    public Backend primary() {
        return backends.get(0);
    }

    public int size() {
        return backends.size();
    }

    @Override
    public void close() {
        backends.forEach(Backend::close);
    }
}
