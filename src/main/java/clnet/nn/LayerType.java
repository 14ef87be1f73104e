package clnet.nn;

/**
 * A kind of layer that model files can name: its Keras class name and how to rebuild it
 * from its {@link Layer#config()}. Built-in kinds are found with {@link java.util.ServiceLoader}
 * (listed in {@code META-INF/services/clnet.nn.LayerType}); a program adds its own with
 * {@link LayerRegistry#register}. A new layer therefore never touches the model-file code.
 */
public interface LayerType {
    /** The Keras class name, as model files and {@code summary()} write it: {@code Dense}. */
    String className();

    /** A configured, unbuilt layer named {@code config.layerName()}. */
    Layer fromConfig(LayerConfig config);
}
