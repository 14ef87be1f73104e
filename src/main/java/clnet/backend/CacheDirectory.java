package clnet.backend;

import java.nio.file.Path;

/**
 * Where clnet keeps what it can compute again but would rather not: compiled kernel
 * binaries, the {@code --device auto} verdict. The system property {@code clnet.cache.dir}
 * wins, then the environment variable {@code CLNET_CACHE_DIR}, then
 * {@code $XDG_CACHE_HOME/clnet}, then {@code ~/.cache/clnet}. Nothing in it is needed: a
 * missing or unwritable cache only costs time.
 */
public final class CacheDirectory {
    public static final String PROPERTY = "clnet.cache.dir";
    public static final String ENV = "CLNET_CACHE_DIR";

    private CacheDirectory() {
    }

    public static Path path() {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(ENV);
        }
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "clnet");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "clnet");
    }
}
