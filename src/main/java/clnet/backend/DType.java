package clnet.backend;

/** Element types of device buffers: float32 for values, int32 for row indices. */
public enum DType {
    FLOAT32,
    INT32;

    public int bytes() {
        return 4;
    }
}
