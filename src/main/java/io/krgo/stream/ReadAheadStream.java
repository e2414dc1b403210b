package io.krgo.stream;

import io.krgo.error.FilesystemException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a stream on a thread of its own, a few large chunks ahead of the consumer: decompression and
 * digest checking run on one core while tar parsing and file writes run on the other. Memory stays
 * bounded ({@code chunks} buffers of {@code chunkSize}, recycled). An error of the source (of any type)
 * reaches the consumer unchanged, at the position where it happened; EOF reaches it only after the
 * source returned EOF (so a verifying source has checked its digest). Closing stops the reader thread and
 * waits for it to close the source. One consumer thread.
 */
public final class ReadAheadStream extends InputStream {
    /** Opens the source; runs on the reader thread, so its own reads (e.g. a gzip header) are off the consumer's path. */
    @FunctionalInterface
    public interface Source {
        InputStream open() throws IOException;
    }

    private record Chunk(byte[] data, int length, Throwable error) {
        boolean eof() {
            return data == null && error == null;
        }
    }

    private static final Chunk EOF = new Chunk(null, 0, null);

    private final BlockingQueue<Chunk> filled;
    private final BlockingQueue<byte[]> free;
    private final Thread reader;
    private Chunk current;
    private int pos;
    private boolean finished;
    private volatile boolean closed;

    public ReadAheadStream(Source source, int chunkSize, int chunks, String threadName) {
        filled = new ArrayBlockingQueue<>(chunks + 1);
        free = new ArrayBlockingQueue<>(chunks);
        for (int i = 0; i < chunks; i++) {
            free.add(new byte[chunkSize]);
        }
        reader = new Thread(() -> produce(source), threadName);
        reader.setDaemon(true);
        reader.start();
    }

    private void produce(Source source) {
        try (InputStream in = source.open()) {
            while (!closed) {
                byte[] buf = free.take();
                int n = 0;
                int r = 0;
                Throwable error = null;
                try {
                    // Fill the chunk: few hand-overs, and large writes for the consumer.
                    while (n < buf.length && (r = in.read(buf, n, buf.length - n)) >= 0) {
                        n += r;
                    }
                } catch (InterruptedIOException stopped) {
                    throw stopped;
                } catch (Throwable t) {
                    error = t; // after the bytes read before it
                }
                if (n > 0) {
                    filled.put(new Chunk(buf, n, null));
                } else {
                    free.add(buf);
                }
                if (error != null) {
                    throw error;
                }
                if (r < 0) {
                    filled.put(EOF);
                    return;
                }
            }
        } catch (InterruptedException | InterruptedIOException stopped) {
            // closed by the consumer
        } catch (Throwable t) {
            if (!closed) {
                filled.offer(new Chunk(null, 0, t)); // room is reserved: chunks + 1
            }
        }
    }

    @Override
    public int read() throws IOException {
        if (!ensure()) {
            return -1;
        }
        return current.data[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!ensure()) {
            return -1;
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current.data, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        if (n <= 0 || !ensure()) {
            return 0;
        }
        int k = (int) Math.min(n, current.length - pos);
        pos += k;
        return k;
    }

    @Override
    public int available() {
        return current == null || current.data == null ? 0 : current.length - pos;
    }

    /** Makes bytes available in {@code current}; false at EOF. */
    private boolean ensure() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (current != null && current.data != null && pos < current.length) {
            return true;
        }
        if (finished) {
            return false;
        }
        if (current != null && current.data != null) {
            free.add(current.data);
        }
        current = null;
        Chunk next;
        try {
            next = filled.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilesystemException("interrupted");
        }
        if (next.error() != null) {
            finished = true;
            rethrow(next.error());
        }
        if (next.eof()) {
            finished = true;
            return false;
        }
        current = next;
        pos = 0;
        return true;
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new IOException(t);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        reader.interrupt();
        try {
            // The reader closes the source on its way out; wait so the caller may delete what it read.
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
