package clnet.nn;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The layer kinds model files can name, by Keras class name (see {@link LayerType}). */
public final class LayerRegistry {
    private static final Map<String, LayerType> TYPES = new TreeMap<>();

    static {
        for (LayerType t : ServiceLoader.load(LayerType.class, LayerRegistry.class.getClassLoader())) {
            TYPES.put(t.className(), t);
        }
    }

    private LayerRegistry() {
    }

    /** Adds (or replaces) a layer kind. */
    public static synchronized void register(LayerType type) {
        TYPES.put(type.className(), type);
    }

    /** The layer a model file describes; an unknown class name is refused with the known ones. */
    public static synchronized Layer fromConfig(String className, LayerConfig config) {
        LayerType t = TYPES.get(className);
        if (t == null) {
            throw new LayerConfig.Problem("unknown layer class '" + className + "' (known: "
                    + String.join(", ", TYPES.keySet()) + ")");
        }
        Layer layer = t.fromConfig(config);
        layer.name(config.layerName());
        return layer;
    }
}
