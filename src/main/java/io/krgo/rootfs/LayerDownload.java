package io.krgo.rootfs;

import io.krgo.stream.BulkInputStream;
import io.krgo.error.FilesystemException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.image.Digest;
import io.krgo.image.Layer;
import io.krgo.store.BlobStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * One layer blob on its way into the store, readable while it is still arriving: extraction of a layer
 * starts with its first bytes instead of after its last, and no byte is fetched twice. A reader sees EOF
 * only once the whole blob was verified (size and digest) and committed to the store; a failed download
 * fails the reader with the download's error. Unverified bytes only ever reach the staging tree, which
 * is discarded on failure.
 */
final class LayerDownload {
    private static final int BUFFER = 1 << 20;

    private final Layer layer;
    private final BlobStore store;
    private final Digest digest;
    private final java.util.function.LongConsumer onBytes;
    private Path tmp;
    private long written;
    private boolean done;
    private boolean cached;
    private Throwable failure;

    LayerDownload(Layer layer, BlobStore store) {
        this(layer, store, total -> { });
    }

    /** @param onBytes told the byte count so far after each chunk arrives (on the download thread) */
    LayerDownload(Layer layer, BlobStore store, java.util.function.LongConsumer onBytes) {
        this.layer = layer;
        this.store = store;
        this.digest = layer.descriptor().parsedDigest();
        this.onBytes = onBytes;
    }

    /** Runs on a download thread. Returns true when the blob was downloaded now (not cached). */
    boolean run() throws IOException {
        if (store.has(digest)) {
            synchronized (this) {
                cached = true;
                done = true;
                notifyAll();
            }
            return false;
        }
        Path file;
        try {
            file = store.newTempFile(digest);
        } catch (IOException e) {
            throw storeError(e);
        }
        synchronized (this) {
            tmp = file;
            notifyAll();
        }
        try (InputStream in = layer.open();
             FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[BUFFER];
            int n;
            // Layer.open() verifies size and digest when it reaches EOF (read returns -1 only then).
            while ((n = in.read(buf)) >= 0) {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                try {
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                } catch (IOException e) {
                    throw storeError(e); // a local failure (disk full), not a network one
                }
                long total;
                synchronized (this) {
                    written += n;
                    total = written;
                    notifyAll();
                }
                onBytes.accept(total);
            }
            synchronized (this) {
                try {
                    store.commit(file, digest);
                } catch (IOException e) {
                    throw storeError(e);
                }
                done = true;
                notifyAll();
            }
            return true;
        } catch (IOException | RuntimeException | Error e) {
            fail(e);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    private FilesystemException storeError(IOException e) {
        return new FilesystemException("cannot write to the content store " + store.root() + ": " + e.getMessage(), e);
    }

    synchronized void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        notifyAll();
    }

    /** Waits until the download has ended; its failure, if it failed (empty once verified and committed). */
    synchronized Optional<Throwable> awaitEnd() {
        while (!done && failure == null) {
            waitHere();
        }
        return Optional.ofNullable(failure);
    }

    /** Whether the blob came from the cache (then it is re-verified while read). Only valid after {@link #open}. */
    synchronized boolean cached() {
        return cached;
    }

    /** Opens the blob for reading; blocks until the download started (or finished, or failed). */
    synchronized InputStream open() throws IOException {
        while (tmp == null && !done && failure == null) {
            waitHere();
        }
        throwIfFailed();
        if (done) {
            Optional<InputStream> in = cached ? store.open(digest, layer.descriptor().size())
                    : Optional.of(Files.newInputStream(store.path(digest))); // verified just now
            return in.orElseThrow(() -> new FilesystemException("blob " + digest + " vanished from the cache"));
        }
        // Still arriving: the temp file exists until commit, which happens under this lock.
        return new Growing(FileChannel.open(tmp, StandardOpenOption.READ));
    }

    /**
     * Opens the blob without verifying it, for reading ahead (e.g. scanning tar headers): only what
     * {@link #open()} returns may decide what is written.
     */
    synchronized InputStream openUnverified() throws IOException {
        while (tmp == null && !done && failure == null) {
            waitHere();
        }
        throwIfFailed();
        if (done) {
            return Files.newInputStream(store.path(digest));
        }
        return new Growing(FileChannel.open(tmp, StandardOpenOption.READ));
    }

    private void throwIfFailed() {
        if (failure == null) {
            return;
        }
        if (failure instanceof KrgoException k) {
            throw k;
        }
        throw new RegistryException("cannot download layer " + digest + ": " + failure.getMessage(), failure);
    }

    private void waitHere() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilesystemException("interrupted");
        }
    }

    /** Reads the temp file as it grows; EOF only when the download was verified and committed. */
    private final class Growing extends BulkInputStream {
        private final FileChannel ch;

        Growing(FileChannel ch) {
            this.ch = ch;
        }


        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (true) {
                synchronized (LayerDownload.this) {
                    while (true) {
                        throwIfFailed();
                        if (ch.position() < written) {
                            break;
                        }
                        if (done) {
                            return -1;
                        }
                        waitHere();
                    }
                }
                int n = ch.read(ByteBuffer.wrap(b, off, len));
                if (n > 0) {
                    return n;
                }
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
