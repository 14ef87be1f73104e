package clnet;

import clnet.backend.CacheDirectory;
import java.nio.file.Path;

/** Points clnet's cache directory at a test's own folder until closed, then restores it. */
public final class TemporaryCacheDirectory implements AutoCloseable {
    private final String before;

    public TemporaryCacheDirectory(Path dir) {
        before = System.getProperty(CacheDirectory.PROPERTY);
        System.setProperty(CacheDirectory.PROPERTY, dir.toString());
    }

    @Override
    public void close() {
        if (before == null) {
            System.clearProperty(CacheDirectory.PROPERTY);
        } else {
            System.setProperty(CacheDirectory.PROPERTY, before);
        }
    }
}
