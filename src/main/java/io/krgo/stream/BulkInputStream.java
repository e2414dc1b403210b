package io.krgo.stream;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that implements only {@link #read(byte[], int, int)}: its single-byte {@link #read()}
 * goes through the bulk read, so a stream that verifies, resumes or decodes does it in one place.
 */
public abstract class BulkInputStream extends InputStream {
    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
