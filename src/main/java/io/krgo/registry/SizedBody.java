package io.krgo.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/** Request bodies of a known length read from a stream, and a window of a stream for one upload chunk. */
final class SizedBody {
    private static final int UPLOAD_PIECE = 256 * 1024;

    private SizedBody() {
    }

    /**
     * A body of {@code length} bytes read from {@code in} in 256 KiB pieces as the client asks for them.
     * (BodyPublishers.ofInputStream reads 16 KiB at a time: each piece one trip through the client's flow
     * machinery, ~6,400 for a 100 MB layer.)
     */
    static HttpRequest.BodyPublisher of(Supplier<InputStream> in, long length) {
        Iterable<byte[]> pieces = () -> new Iterator<>() {
            private InputStream stream;
            private long left = length;

            @Override
            public boolean hasNext() {
                return left > 0;
            }

            @Override
            public byte[] next() {
                if (left <= 0) {
                    throw new NoSuchElementException();
                }
                if (stream == null) {
                    stream = in.get();
                }
                try {
                    byte[] piece = stream.readNBytes((int) Math.min(UPLOAD_PIECE, left));
                    if (piece.length == 0) {
                        throw new IOException("blob shorter than its size");
                    }
                    left -= piece.length;
                    if (left == 0) {
                        stream.read(); // to EOF, so a verifying stream checks the digest before the body ends
                        stream.close();
                    }
                    return piece;
                } catch (IOException | RuntimeException e) {
                    try {
                        stream.close();
                    } catch (IOException ignored) {
                        // the read error is the one to report
                    }
                    throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
                }
            }
        };
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArrays(pieces), length);
    }

    /** Reads at most {@code n} bytes of the underlying stream and leaves it open for the next chunk. */
    static final class BoundedNonClosing extends FilterInputStream {
        private long left;

        BoundedNonClosing(InputStream in, long n) {
            super(in);
            this.left = n;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
            // the caller owns the underlying stream
        }
    }
}
