package io.krgo.layer;

import io.krgo.error.UnsafeImageException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the uncompressed tar bytes of all layers of a tree against a limit: a decompression bomb stops early. */
final class ExpansionLimit {
    private final long max;
    private long total;

    ExpansionLimit(long max) {
        this.max = max;
    }

    /** {@code tar}, counted. */
    InputStream wrap(InputStream tar) {
        return new FilterInputStream(tar) {
            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    count(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    count(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long s = in.skip(n);
                if (s > 0) {
                    count(s);
                }
                return s;
            }
        };
    }

    private void count(long n) {
        total += n;
        if (total > max) {
            throw new UnsafeImageException("layers expand to more than the limit of " + max
                    + " bytes (a decompression bomb?)");
        }
    }
}
