package io.krgo.layer;

import io.krgo.stream.BulkOutputStream;
import io.krgo.image.Digest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The end of the layer pipeline: a blob's bytes are hashed, counted, written to a file and handed to a
 * tee (e.g. a registry upload that runs meanwhile) on a thread of their own, so the thread building the
 * tar never waits for the disk or the network. Bytes are copied into a few recycled buffers; when all
 * are queued the writer waits (bounded memory). A failing tee only stops the tee: the file is the copy
 * that counts.
 */
final class LayerOutput extends BulkOutputStream {
    private static final int BUFFER = 1 << 20;
    private static final int BUFFERS = 4;
    private static final byte[] END = new byte[0];

    private final FileChannel file;
    private final OutputStream tee;
    private final MessageDigest hash = Digest.newSha256();
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Filled> full = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final Thread writer;
    private volatile Throwable failure;
    private volatile boolean teeFailed;
    private long size;
    private byte[] current;
    private int filled;
    private boolean closed;

    private record Filled(byte[] buffer, int length) { }

    /** @param tee also receives every byte (on the writer thread), or null */
    LayerOutput(Path file, OutputStream tee) throws IOException {
        this.file = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING);
        this.tee = tee;
        this.teeFailed = tee == null;
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[BUFFER]);
        }
        this.writer = new Thread(this::run, "krgo-layer-out");
        writer.setDaemon(true);
        writer.start();
    }


    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (current == null) {
                current = take(free);
                filled = 0;
            }
            int n = Math.min(len, BUFFER - filled);
            System.arraycopy(b, off, current, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == BUFFER) {
                hand();
            }
        }
    }

    private void hand() throws IOException {
        put(new Filled(current, filled));
        current = null;
    }

    private void run() {
        try {
            while (true) {
                Filled f = full.take();
                if (f.buffer() == END) {
                    return;
                }
                if (failure == null) {
                    hash.update(f.buffer(), 0, f.length());
                    ByteBuffer bb = ByteBuffer.wrap(f.buffer(), 0, f.length());
                    while (bb.hasRemaining()) {
                        file.write(bb);
                    }
                    if (!teeFailed) {
                        try {
                            tee.write(f.buffer(), 0, f.length());
                        } catch (IOException | RuntimeException e) {
                            teeFailed = true; // the tee knows it missed bytes; its owner asks it
                        }
                    }
                }
                free.add(f.buffer());
            }
        } catch (Throwable t) {
            failure = t;
            free.add(new byte[BUFFER]); // a writer waiting for a buffer wakes and sees the failure
        }
    }

    private byte[] take(BlockingQueue<byte[]> q) throws IOException {
        check();
        try {
            byte[] b = q.take();
            check();
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing a layer");
        }
    }

    private void put(Filled f) throws IOException {
        check();
        try {
            full.put(f);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing a layer");
        }
        size += f.length();
    }

    private void check() throws IOException {
        Throwable t = failure;
        if (t != null) {
            throw t instanceof IOException io ? io : new IOException("cannot write the layer: " + t, t);
        }
    }

    /** Writes what is left, waits for the writer and closes the file; the digest and size are final then. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (current != null && filled > 0) {
                hand();
            }
            put(new Filled(END, 0));
            writer.join();
            check();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing a layer");
        } finally {
            writer.interrupt();
            file.close();
        }
    }

    /** The blob's sha256 (after {@link #close()}). */
    Digest digest() {
        return new Digest("sha256", HexFormat.of().formatHex(hash.digest()));
    }

    /** The blob's size (after {@link #close()}). */
    long size() {
        return size;
    }
}
