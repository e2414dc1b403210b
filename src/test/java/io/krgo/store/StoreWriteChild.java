package io.krgo.store;

import io.krgo.image.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * A separate JVM for {@link AbandonedTempFilesTest}: starts writing a blob into the store at args[0], prints
 * "writing" once 1 MiB of it is in the store's temp file, and then waits forever for the rest.
 */
public final class StoreWriteChild {
    private static final int WRITTEN = 1 << 20;

    public static void main(String[] args) throws IOException {
        InputStream stalls = new InputStream() {
            private int sent;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (sent >= WRITTEN) {
                    // Everything read so far was written to the temp file before this read.
                    System.out.println("writing");
                    System.out.flush();
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return -1;
                }
                int n = Math.min(len, WRITTEN - sent);
                sent += n;
                return n; // zeros
            }
        };
        new BlobStore(Path.of(args[0])).put(Digest.sha256(new byte[0]), 2L * WRITTEN, stalls);
    }
}
