package io.krgo.tar;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads an uncompressed tar stream entry by entry, keeping every header field and PAX record as bytes.
 * Streaming: one entry's data is read through {@link #read} (or skipped by {@link #next}), never held.
 * A malformed archive is an {@link io.krgo.error.UnsafeImageException} naming the entry.
 * TODO: implemented by the tar-reader work (issue 15).
 */
public final class TarReader {
    public TarReader(InputStream in) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /**
     * The next entry, skipping what is left of the current one's data; null at the end-of-archive marker.
     */
    public TarEntry next() throws IOException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Reads the current entry's stored data; -1 at its end. */
    public int read(byte[] b, int off, int len) throws IOException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Bytes of the tar stream consumed so far. */
    public long position() {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
