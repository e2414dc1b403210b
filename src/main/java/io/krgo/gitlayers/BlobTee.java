package io.krgo.gitlayers;

import io.krgo.layer.ContentTee;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Turns the files a pull writes into git blobs while it writes them: the applier's thread copies each
 * file's content into 1 MiB chunks (a memcpy), a second thread hashes the chunks and stores them in the
 * layer's pack ({@link PackWriter}). Nothing is read back from disk, and the applier waits only when the
 * hashing falls a few chunks behind.
 *
 * <p>{@link ContentTee} methods and {@link #endLayer} are called on one thread (the applier's); everything
 * else of the work runs on the hashing thread, in call order.
 */
final class BlobTee implements ContentTee {
    private static final int CHUNK = 1 << 20;
    /** Chunks in flight: bounds the memory and how far the applier may run ahead of the hashing. */
    private static final int CHUNKS = 8;
    /** Empty files fill no chunk: a batch is also sent after this many events. */
    private static final int MAX_EVENTS = 4096;
    /**
     * Objects per pack: a pack's header states its object count, and the trailer hashes the header. A pack
     * declared full can be hashed as it is written; only the layer's last one, whose count is known at the
     * end, is read back. Bounds that re-read (here ~10 MB a layer instead of all of it) at a dozen packs per
     * image.
     */
    static final int OBJECTS_PER_PACK = 1024;
    /**
     * Blobs from this size on are loose objects: no pack trailer hashes them a second time (measured on the
     * realistic image: 526 files of 64 KiB or more hold 152 of its 220 MB).
     */
    static final long LOOSE_FROM = 64 * 1024;

    private sealed interface Event permits FileStart, Data, Link {
    }

    private record FileStart(String path, long size) implements Event {
    }

    private record Data(int off, int len) implements Event {
    }

    private record Link(String path, String target) implements Event {
    }

    /**
     * What one layer's files became. {@code ids}: the blob of each path whose content this layer wrote (or
     * linked to such a path); {@code priorLinks}: paths hardlinked to a path this layer did not touch, by that
     * path (its blob is the one recorded for the layer below). {@code finished}: the layer's packs already in
     * place. {@code pack}: its last pack, still open and of no declared count (null when there is none), for
     * the caller to add trees and finish.
     */
    record LayerBlobs(Map<String, ObjectId> ids, Map<String, String> priorLinks, List<Path> finished,
                      PackWriter pack) {
    }

    private final Path tmpDir;
    private final Path packDir;
    private final Set<ObjectId> known;
    /** Done once the repository exists: a full pack is moved into it only then. */
    private final Future<?> repositoryCreated;
    private final ThreadPoolExecutor worker;
    private final ArrayBlockingQueue<byte[]> free = new ArrayBlockingQueue<>(CHUNKS);
    private volatile Throwable failure;

    // The applier's side.
    private int allocated;
    private byte[] chunk;
    private int used;
    private List<Event> events = new ArrayList<>();
    private final Set<String> touched = new HashSet<>();

    // The hashing thread's side.
    private PackWriter pack;
    private LooseWriter loose;
    /** Whether the current file goes to {@link #loose}. */
    private boolean currentLoose;
    private ObjectId looseId;
    private List<Path> finished = new ArrayList<>();
    private Map<String, ObjectId> ids = new HashMap<>();
    private Map<String, String> priorLinks = new HashMap<>();
    private String current;
    private long left;

    /**
     * @param tmpDir            where packs are written until they are complete
     * @param repositoryCreated done when {@code packDir}'s repository exists (created on another thread)
     */
    BlobTee(Path tmpDir, Path packDir, Set<ObjectId> known, Future<?> repositoryCreated) {
        this.tmpDir = tmpDir;
        this.packDir = packDir;
        this.known = known;
        this.repositoryCreated = repositoryCreated;
        this.worker = new ThreadPoolExecutor(1, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "krgo-git-blobs");
            t.setDaemon(true);
            return t;
        });
        worker.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code task} on the hashing thread after everything sent so far. */
    <T> Future<T> submit(Callable<T> task) {
        send();
        return worker.submit(task);
    }

    @Override
    public void file(String path, long size) throws IOException {
        event(new FileStart(path, size));
        touched.add(path);
    }

    @Override
    public void content(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (chunk == null || used == CHUNK) {
                send();
                chunk = takeChunk();
            }
            int n = Math.min(len, CHUNK - used);
            System.arraycopy(b, off, chunk, used, n);
            int last = events.size() - 1;
            if (last >= 0 && events.get(last) instanceof Data d && d.off() + d.len() == used) {
                events.set(last, new Data(d.off(), d.len() + n)); // one event per contiguous run
            } else {
                events.add(new Data(used, n));
            }
            used += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void linked(String path, String target) throws IOException {
        event(new Link(path, target));
        touched.add(path);
    }

    /** Whether this layer's content or a link for {@code path} was seen. */
    boolean touched(String path) {
        return touched.contains(path);
    }

    /** Ends the layer: its blobs and pack once the hashing thread has caught up. */
    Future<LayerBlobs> endLayer() {
        touched.clear();
        return submit(this::closeLayer);
    }

    /** Stops the hashing thread once the work sent so far is done. */
    void shutdown() {
        send();
        worker.shutdown();
    }

    /** Stops the hashing thread now (a failed pull); its pack is left to the removal of the directory. */
    void abandon() {
        failure = failure != null ? failure : new IOException("abandoned");
        worker.shutdownNow();
    }

    private void event(Event e) throws IOException {
        if (failure != null) {
            throw new IOException("recording git blobs failed: " + failure.getMessage(), failure);
        }
        events.add(e);
        if (events.size() >= MAX_EVENTS) {
            send();
        }
    }

    private byte[] takeChunk() throws IOException {
        byte[] c = free.poll();
        if (c != null) {
            return c;
        }
        if (allocated < CHUNKS) {
            allocated++;
            return new byte[CHUNK];
        }
        try {
            while (true) {
                c = free.poll(100, TimeUnit.MILLISECONDS);
                if (c != null) {
                    return c;
                }
                if (worker.isShutdown()) {
                    throw new IOException("recording git blobs stopped"
                            + (failure != null ? ": " + failure.getMessage() : ""), failure);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while recording git blobs");
        }
    }

    /** Hands the events (and the chunk they point into) to the hashing thread. */
    private void send() {
        if (events.isEmpty() && chunk == null) {
            return;
        }
        List<Event> batch = events;
        byte[] data = chunk;
        events = new ArrayList<>();
        chunk = null;
        used = 0;
        worker.execute(() -> process(batch, data));
    }

    private void process(List<Event> batch, byte[] data) {
        try {
            if (failure == null) {
                for (Event e : batch) {
                    apply(e, data);
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            if (data != null) {
                free.offer(data);
            }
        }
    }

    private void apply(Event e, byte[] data) throws IOException {
        if (e instanceof FileStart f) {
            if (current != null) {
                throw new IllegalStateException("the content of '" + current + "' is incomplete");
            }
            current = f.path();
            left = f.size();
            currentLoose = f.size() >= LOOSE_FROM;
            if (currentLoose) {
                if (loose == null) {
                    awaitRepository(); // long done by the time a large file arrives, in practice
                    loose = new LooseWriter(tmpDir, packDir.getParent(), known);
                }
                loose.begin(f.size());
            } else {
                if (pack == null) {
                    pack = new PackWriter(tmpDir, packDir, known, OBJECTS_PER_PACK);
                }
                pack.begin(Constants.OBJ_BLOB, f.size());
            }
            if (left == 0) {
                done();
            }
        } else if (e instanceof Data d) {
            if (current == null || d.len() > left) {
                throw new IllegalStateException("file content without a file, or more than its size");
            }
            if (currentLoose) {
                looseId = loose.content(data, d.off(), d.len());
            } else {
                pack.content(data, d.off(), d.len());
            }
            left -= d.len();
            if (left == 0) {
                done();
            }
        } else if (e instanceof Link l) {
            ObjectId id = ids.get(l.target());
            if (id != null) {
                ids.put(l.path(), id);
                priorLinks.remove(l.path());
            } else {
                ids.remove(l.path());
                priorLinks.put(l.path(), priorLinks.getOrDefault(l.target(), l.target()));
            }
        }
    }

    private void done() throws IOException {
        ids.put(current, currentLoose ? looseId : pack.lastId());
        priorLinks.remove(current);
        current = null;
        if (!currentLoose && pack.full()) {
            awaitRepository();
            finished.add(pack.finish());
            pack = null;
        }
    }

    private void awaitRepository() throws IOException {
        try {
            repositoryCreated.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while creating the git repository");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("cannot create the git repository: " + e.getCause(), e.getCause());
        }
    }

    private LayerBlobs closeLayer() throws IOException {
        if (failure != null) {
            throw new IOException("recording git blobs failed: " + failure, failure);
        }
        if (current != null) {
            throw new IllegalStateException("the content of '" + current + "' is incomplete at the end of the layer");
        }
        if (pack != null) {
            pack.undeclare();
        }
        LayerBlobs r = new LayerBlobs(ids, priorLinks, finished, pack);
        ids = new HashMap<>();
        priorLinks = new HashMap<>();
        finished = new ArrayList<>();
        pack = null;
        return r;
    }
}
