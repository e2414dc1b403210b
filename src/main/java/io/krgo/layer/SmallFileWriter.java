package io.krgo.layer;

import io.krgo.error.FilesystemException;
import io.krgo.error.KrgoException;
import io.krgo.tar.TarEntry;

import java.io.IOException;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A second thread for the syscalls of small new regular files (open, write, close, owner, times): the
 * reading thread hands over the content and goes on parsing. Per-path order is kept: before an entry
 * touches a path (itself, an ancestor, a hardlink target) its pending write is finished; a whiteout or
 * opaque marker waits for all. A file whose name turns out to be taken (a lower layer's file or
 * directory) is replaced on the reading thread, exactly as a synchronous write does. Pending bytes are
 * bounded. Used by the reading thread only, apart from the jobs themselves.
 */
final class SmallFileWriter {
    static final int MAX_FILE = 256 * 1024;
    private static final long MAX_PENDING_BYTES = 16L << 20;
    /** Each job also holds its tar entry (a few hundred bytes): empty files must not pile up either. */
    private static final int MAX_PENDING_FILES = 1024;

    /** What the writer does with a job: on its own thread, and on the reading thread when the path was taken. */
    interface Target {
        /** Writes the job's file; false when something is in the way. Runs on the writer thread. */
        boolean tryWriteNew(Job job) throws IOException;

        /** Replaces what is in the way, then writes. Runs on the reading thread. */
        void replaceAndWrite(Job job) throws IOException;

        /** Reads the current entry's content into {@code ring} (and shows it to whoever watches). */
        void readContent(byte[] ring, int offset, int length) throws IOException;
    }

    /**
     * A small file waiting for the writer thread: its content lies in the ring at {@code offset}; the ring
     * space from {@code reservedFrom} (the skipped tail of the ring included) is free once it is done.
     */
    record Job(SafeRoot.Resolved resolved, TarEntry entry, String name, FileAttribute<?>[] mode, byte[] ring,
            int offset, int length, long reservedFrom) {
    }

    private record Pending(Job job, Future<Boolean> written, Target target) {
    }

    private final ThreadPoolExecutor pool;
    private final ArrayDeque<Pending> order = new ArrayDeque<>();
    private final Map<String, Pending> byPath = new HashMap<>();
    /**
     * Pending contents, written once and reused in order: a byte[] per file would survive young
     * collections while it waits and be promoted, which cost a pull several full collections.
     */
    private final byte[] ring = new byte[(int) MAX_PENDING_BYTES];
    /** Where the next content goes, counted from the start and never wrapped (the ring index is its remainder). */
    private long writeAt;

    SmallFileWriter() {
        pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "krgo-file-writer");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
    }

    boolean hasPending() {
        return !order.isEmpty();
    }

    /** Reads the current entry's content ({@code <= MAX_FILE} bytes) into the ring and queues its write. */
    void submit(Target target, SafeRoot.Resolved resolved, TarEntry entry, String name, FileAttribute<?>[] mode)
            throws IOException {
        int length = (int) entry.size();
        Pending earlier = byPath.get(resolved.rel());
        if (earlier != null) {
            complete(earlier); // the same name twice in one layer: the later one wins, in order
        }
        int index = (int) (writeAt % ring.length);
        long skip = length > ring.length - index ? ring.length - index : 0; // contents never wrap around the end
        while ((writeAt + skip + length - oldestReserved() > ring.length || order.size() >= MAX_PENDING_FILES)
                && !order.isEmpty()) {
            complete(order.peekFirst());
        }
        long reservedFrom = writeAt;
        writeAt += skip;
        int offset = (int) (writeAt % ring.length);
        target.readContent(ring, offset, length);
        writeAt += length;
        Job job = new Job(resolved, entry, name, mode, ring, offset, length, reservedFrom);
        Pending p = new Pending(job, pool.submit(() -> target.tryWriteNew(job)), target);
        order.addLast(p);
        byPath.put(resolved.rel(), p);
    }

    /** The start of the ring space still in use: the oldest pending job's, or the write position when none is. */
    private long oldestReserved() {
        return order.isEmpty() ? writeAt : order.peekFirst().job().reservedFrom();
    }

    /** Finishes the pending writes of {@code comps}' path and of each of its ancestors. */
    void awaitPathAndAncestors(List<String> comps) throws IOException {
        StringBuilder path = new StringBuilder();
        for (String c : comps) {
            if (path.length() > 0) {
                path.append('/');
            }
            path.append(c);
            Pending p = byPath.get(path.toString());
            if (p != null) {
                complete(p);
            }
        }
    }

    void drain() throws IOException {
        while (!order.isEmpty()) {
            complete(order.peekFirst());
        }
    }

    private void complete(Pending p) throws IOException {
        boolean written;
        String name = SafeRoot.printable(p.job().name());
        try {
            written = p.written().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilesystemException("interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof KrgoException k) {
                throw k;
            }
            throw new FilesystemException("entry '" + name + "': " + cause, cause);
        } finally {
            order.remove(p);
            byPath.remove(p.job().resolved().rel(), p);
        }
        if (!written) {
            p.target().replaceAndWrite(p.job());
        }
    }

    /** Stops the thread: pending writes are cancelled and a running one is waited for. */
    void abandon() {
        order.forEach(p -> p.written().cancel(false));
        order.clear();
        byPath.clear();
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
