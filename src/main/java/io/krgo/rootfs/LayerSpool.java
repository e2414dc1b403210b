package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.stream.BulkInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The uncompressed tar of one layer, decompressed ahead of time into segment files while lower layers
 * are still being applied: decompression is the longest single-threaded step of a pull (zlib inflates
 * ~250 MB/s), so a layer's inflation runs on another core while the layer below it is written.
 * Disk use is bounded: the producer stays at most {@code cap} bytes ahead of the consumer, and each
 * segment is deleted once read. The consumer sees EOF only after the producer's source reached its end
 * and was verified; a producer failure reaches the consumer at the position where it happened.
 * One producer thread, one consumer thread.
 */
final class LayerSpool {
    static final long SEGMENT = 32L << 20;
    private static final int CHUNK = 1 << 20;

    private final Path dir;
    private final String prefix;
    private final long cap;
    private long produced;
    private long consumed;
    private boolean done;
    private boolean closed;
    private Throwable failure;

    /** @param cap how many bytes the producer may be ahead of the consumer (a multiple of SEGMENT, at least one) */
    LayerSpool(Path dir, String prefix, long cap) {
        this.dir = dir;
        this.prefix = prefix;
        this.cap = Math.max(SEGMENT, cap);
    }

    /** Verifies what was produced once the source is at its end (e.g. the diff_id); throws to fail the spool. */
    @FunctionalInterface
    interface Verifier {
        void verify() throws IOException;
    }

    private Path segment(long index) {
        return dir.resolve(prefix + "-" + index);
    }

    /** Runs on the producer thread: copies {@code source} into the spool. Returns false when it failed or was closed. */
    boolean produce(InputStream source, Verifier verifier) {
        byte[] buf = new byte[CHUNK];
        FileChannel out = null;
        try {
            int n;
            while ((n = source.read(buf)) >= 0) {
                int off = 0;
                while (off < n) {
                    synchronized (this) {
                        while (!closed && produced - consumed >= cap) {
                            wait();
                        }
                        if (closed) {
                            return false;
                        }
                    }
                    long inSegment = produced % SEGMENT;
                    if (inSegment == 0) {
                        if (out != null) {
                            out.close();
                        }
                        out = openSegment(produced / SEGMENT);
                    }
                    int w = (int) Math.min(n - off, SEGMENT - inSegment);
                    write(out, buf, off, w);
                    off += w;
                    synchronized (this) {
                        produced += w;
                        notifyAll();
                    }
                }
            }
            verifier.verify();
            synchronized (this) {
                done = true;
                notifyAll();
            }
            return true;
        } catch (InterruptedException e) {
            fail(new FilesystemException("interrupted"));
            Thread.currentThread().interrupt();
            return false;
        } catch (Throwable t) {
            fail(t);
            return false;
        } finally {
            closeQuietly(out);
        }
    }

    private FileChannel openSegment(long index) {
        try {
            return FileChannel.open(segment(index), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw spoolError(e);
        }
    }

    private void write(FileChannel out, byte[] buf, int off, int len) {
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        try {
            while (bb.hasRemaining()) {
                out.write(bb);
            }
        } catch (IOException e) {
            throw spoolError(e);
        }
    }

    private FilesystemException spoolError(IOException e) {
        return new FilesystemException("cannot write the decompressed layer into " + dir + ": " + e.getMessage(), e);
    }

    /** Records a failure for the consumer (first one wins). */
    synchronized void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        notifyAll();
    }

    /** Stops the producer; the consumer, if any, sees an error. Segment files are left to the caller's cleanup. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** The consumer's stream; reads block until bytes are there. Only one, read once. */
    InputStream open() {
        return new Reader();
    }

    private synchronized long awaitAvailable() throws InterruptedException {
        while (true) {
            if (consumed < produced) {
                return produced - consumed;
            }
            if (failure != null) {
                throw asUnchecked(failure);
            }
            if (done) {
                return 0;
            }
            if (closed) {
                throw new FilesystemException("the pull was stopped");
            }
            wait();
        }
    }

    private static RuntimeException asUnchecked(Throwable t) {
        if (t instanceof KrgoException k) {
            return k;
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        return new RegistryException("cannot read layer: " + t.getMessage(), t);
    }

    private synchronized void advance(long n) {
        consumed += n;
        notifyAll();
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only use or already failed; nothing to save
            }
        }
    }

    /** Reads segment after segment through a buffer of its own (the tar reader asks for 512 bytes at a time). */
    private final class Reader extends BulkInputStream {
        private final byte[] buf = new byte[CHUNK];
        private int pos;
        private int limit;
        private long fileOffset; // bytes of the spool read into buf so far
        private FileChannel in;
        private long openSegment = -1;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == limit && !fill()) {
                return -1;
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        private boolean fill() throws IOException {
            long available;
            try {
                available = awaitAvailable();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FilesystemException("interrupted");
            }
            if (available == 0) {
                return false;
            }
            long index = fileOffset / SEGMENT;
            if (index != openSegment) {
                closeQuietly(in);
                if (openSegment >= 0) {
                    Files.deleteIfExists(segment(openSegment));
                }
                in = FileChannel.open(segment(index), StandardOpenOption.READ);
                openSegment = index;
            }
            long inSegment = fileOffset % SEGMENT;
            int want = (int) Math.min(Math.min(available, buf.length), SEGMENT - inSegment);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, want);
            while (bb.hasRemaining()) {
                if (in.read(bb, inSegment + bb.position()) < 0) {
                    throw new FilesystemException("spool segment " + segment(index) + " ended early");
                }
            }
            pos = 0;
            limit = want;
            fileOffset += want;
            advance(want);
            return true;
        }

        @Override
        public void close() throws IOException {
            closeQuietly(in);
            if (openSegment >= 0) {
                Files.deleteIfExists(segment(openSegment));
            }
        }
    }
}
