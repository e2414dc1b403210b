package io.krgo.stream;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream that implements only {@link #write(byte[], int, int)}: its single-byte {@link #write(int)}
 * goes through the bulk write, so a stream that queues, compresses or uploads does it in one place.
 */
public abstract class BulkOutputStream extends OutputStream {
    @Override
    public final void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public abstract void write(byte[] b, int off, int len) throws IOException;
}
