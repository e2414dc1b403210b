package io.krgo.rootfs;

import io.krgo.compress.Decompression;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Layer;
import io.krgo.layer.HiddenPaths;
import io.krgo.layer.LayerApplier;
import io.krgo.layer.LayerResult;
import io.krgo.store.BlobStore;
import io.krgo.sys.NativeFs;
import io.krgo.sys.Trees;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * How {@link RootfsWriter} gets an image's layers into a tree: downloads run concurrently (bounded) into the blob
 * store, layers above the first are inflated ahead into spools, a scanner reads thin upper layers' headers for
 * paths not worth writing, and the applier takes each layer in order as soon as its download has begun.
 * {@link #stop()} ends every thread it started.
 */
final class LayerPipeline {
    /** A layer is scanned ahead when the layers below it are at least this many times its size. */
    private static final int SCAN_RATIO = 8;
    /** How far (bytes of uncompressed tar) a layer may be inflated ahead of its turn: bounds the spool's disk use. */
    private static final long SPOOL_AHEAD = 8 * LayerSpool.SEGMENT;

    private final BlobStore store;
    private final List<Layer> layers;
    private final RootfsOptions opts;
    private final ProgressListener prog;
    private final ExecutorService pool;
    private final List<LayerDownload> downloads = new ArrayList<>();
    private Thread scanner;
    private Thread inflater;
    private List<LayerSpool> spools;

    LayerPipeline(BlobStore store, List<Layer> layers, RootfsOptions opts, ProgressListener prog) {
        this.store = store;
        this.layers = layers;
        this.opts = opts;
        this.prog = prog;
        this.pool = Executors.newFixedThreadPool(Math.max(1, Math.min(opts.parallelism(), layers.size())), r -> {
            Thread t = new Thread(r, "krgo-layer-download");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts every layer's download. */
    void startDownloads() {
        for (int i = 0; i < layers.size(); i++) {
            int index = i;
            Descriptor described = layers.get(i).descriptor();
            LayerDownload d = new LayerDownload(layers.get(i), store,
                    total -> prog.bytesDownloaded(index, described, total));
            downloads.add(d);
            pool.submit(() -> {
                try {
                    if (index > 0) {
                        // The first layer is wanted first: its decompression is what the applier waits
                        // for, and these downloads (hashing, writing the store) took CPU from it. Alternated
                        // cold pulls of the realistic image, 16 each: median 1.52 -> 1.46 s, min 1.31 -> 1.19.
                        NativeFs.lowerThisThreadPriority(10);
                    }
                    boolean fresh = d.run();
                    prog.layerDownloaded(index, layers.get(index).descriptor(), !fresh);
                } catch (Throwable t) {
                    d.fail(t);
                }
            });
        }
    }

    /**
     * Applies every layer into {@code rootfs} (spools under {@code staging}); {@code listener}, if any, sees
     * each layer. Returns the finished applier.
     */
    LayerApplier apply(Path rootfs, Path staging, LayerListener listener) throws IOException {
        // Without a listener nobody sees the tree between layers: files that an upper layer removes or
        // replaces need not be written at all. A scanner reads the upper layers' headers ahead.
        HiddenPaths hidden = listener == null && layers.size() > 1 ? new HiddenPaths() : null;
        if (hidden != null) {
            scanner = startScanner(hidden, layers, downloads, opts.apply().privileged());
        }
        if (layers.size() > 1) {
            spools = newSpools(layers.size(), staging);
            inflater = startSpooler(layers, downloads, spools);
        }
        try {
            return applyAll(spools, rootfs, hidden, listener);
        } catch (HiddenPaths.SkippedLinkTarget rare) {
            scanner.interrupt();
            stopSpooling(spools, inflater);
            Trees.deleteRecursively(rootfs);
            Files.createDirectories(rootfs);
            return applyAll(null, rootfs, null, listener);
        }
    }

    /** Stops every thread of the pipeline and waits (briefly) for them: they close their files first. */
    void stop() {
        if (scanner != null) {
            scanner.interrupt();
        }
        stopSpooling(spools, inflater);
        pool.shutdownNow();
        awaitDownloadsStopped(pool);
    }

    /** One spool per layer above the first (index 0 stays null: it is inflated while applied). */
    private static List<LayerSpool> newSpools(int count, Path staging) throws IOException {
        Path dir = Files.createDirectories(staging.resolve("spool"));
        List<LayerSpool> spools = new ArrayList<>();
        spools.add(null);
        for (int i = 1; i < count; i++) {
            spools.add(new LayerSpool(dir, "layer-" + i, SPOOL_AHEAD));
        }
        return spools;
    }

    /**
     * Inflates layers 1..n-1, in order, one at a time, into their spools while the applier works on the
     * layers below: the applier then reads plain tar from disk (page cache) instead of waiting for zlib.
     */
    private Thread startSpooler(List<Layer> layers, List<LayerDownload> downloads, List<LayerSpool> spools) {
        Thread t = new Thread(() -> {
            // Work ahead: on two cores it competed with the layer being applied, the one everybody waits for.
            // At nice 10 it takes the cores that layer leaves idle, and all of one while the applier waits for it.
            NativeFs.lowerThisThreadPriority(10);
            for (int i = 1; i < layers.size(); i++) {
                if (!inflateInto(spools.get(i), layers.get(i), downloads.get(i))) {
                    return; // that layer's reader reports the failure; the ones above are not needed
                }
            }
        }, "krgo-inflate-ahead");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private boolean inflateInto(LayerSpool spool, Layer layer, LayerDownload download) {
        Digest diffId = diffIdToVerify(layer);
        MessageDigest hasher = diffId == null ? null : diffId.newHasher();
        InputStream blob;
        try {
            blob = download.open();
        } catch (IOException | RuntimeException e) {
            spool.fail(e);
            return false;
        }
        try (blob; InputStream tar = Decompression.openHashed(blob, layer.descriptor().mediaType(), hasher)) {
            return spool.produce(tar, () -> {
                blob.transferTo(OutputStream.nullOutputStream()); // to EOF: the blob's own digest is checked there
                LayerApplier.checkDiffId(diffId, hasher);
                recordDiffId(layer, diffId);
            });
        } catch (IOException | RuntimeException e) {
            spool.fail(e);
            return false;
        }
    }

    /**
     * The diff_id still to be checked by hashing the layer's uncompressed bytes, or null: when the config
     * gives none, or when the store already saw this blob decompress to exactly the config's diff_id (the
     * blob's own digest, checked on every read, then pins the uncompressed bytes; see
     * {@link BlobStore#recordedDiffId}).
     */
    private Digest diffIdToVerify(Layer layer) {
        Digest expected = layer.diffId().orElse(null);
        if (expected == null) {
            return null;
        }
        boolean seen = store.recordedDiffId(layer.descriptor().parsedDigest()).map(expected::equals).orElse(false);
        return seen ? null : expected;
    }

    /** After the layer's blob and uncompressed bytes both hashed as expected: remember its diff_id (null: nothing hashed). */
    private void recordDiffId(Layer layer, Digest verifiedDiffId) {
        if (verifiedDiffId != null) {
            store.recordDiffId(layer.descriptor().parsedDigest(), verifiedDiffId);
        }
    }

    private static void stopSpooling(List<LayerSpool> spools, Thread inflater) {
        if (spools != null) {
            spools.stream().filter(Objects::nonNull).forEach(LayerSpool::close);
        }
        if (inflater != null) {
            inflater.interrupt();
            try {
                inflater.join(10_000); // it closes its files before the staging directory is deleted
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Applies every layer in order, each as soon as its download has begun (from its spool when it has
     * one); returns the finished applier.
     */
    private LayerApplier applyAll(List<LayerSpool> spools, Path rootfs, HiddenPaths hidden, LayerListener listener)
            throws IOException {
        LayerApplier applier = new LayerApplier(rootfs, opts.apply(), hidden,
                listener == null ? null : listener.contentTee());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            LayerDownload download = downloads.get(i);
            Digest digest = layer.descriptor().parsedDigest();
            prog.layerApplying(i, layer.descriptor());
            LayerResult result;
            // Applying starts while the blob is still arriving; see LayerDownload.
            LayerSpool spool = spools == null ? null : spools.get(i);
            try (InputStream blob = spool == null ? download.open() : spool.open()) {
                if (spool == null) {
                    Digest diffId = diffIdToVerify(layer);
                    result = applier.applyBlob(blob, layer.descriptor().mediaType(), diffId);
                    recordDiffId(layer, diffId); // both digests matched: applyBlob read the blob to its end
                } else {
                    result = applier.applyTar(blob);
                }
            } catch (KrgoException failed) {
                boolean freshlyDownloaded = !download.cached();
                if (freshlyDownloaded) {
                    // Extraction ran on bytes not yet verified: when they turn out not to be the blob (wrong
                    // bytes, a broken download), that is the error to report, not what the tar reader saw.
                    Throwable end = download.awaitEnd().orElse(null);
                    if (end instanceof KrgoException k && k != failed) {
                        k.addSuppressed(failed);
                        throw k;
                    }
                }
                // A corrupt cache entry (caught by the digest, or earlier by the tar parser) would fail
                // every later pull: drop it so the next one downloads it again.
                if (!freshlyDownloaded && !storedBlobIntact(layer.descriptor())) {
                    Files.deleteIfExists(store.path(digest));
                    throw new IntegrityException("cached layer " + digest + " was corrupt and has been removed "
                            + "from the cache; run the command again", failed);
                }
                throw failed;
            }
            if (listener != null) {
                listener.layerApplied(i, layer, rootfs, result.changes());
            }
            prog.layerApplied(i, layer.descriptor(), result.stats().entries(), result.stats().bytes());
        }
        applier.finish();
        return applier;
    }

    /**
     * Reads the upper layers' headers, top layer first, while the lower ones are applied. Only layers
     * small beside what lies below them: scanning decompresses a layer a second time, which pays when a
     * thin layer removes much of a thick base (measured: a 1.5 MB layer's whiteouts saved ~2,300 file
     * writes and their deletion), not for a layer as thick as its base.
     */
    private static Thread startScanner(HiddenPaths hidden, List<Layer> layers, List<LayerDownload> downloads,
                                       boolean privileged) {
        long[] below = new long[layers.size()];
        for (int k = 1; k < layers.size(); k++) {
            below[k] = below[k - 1] + Math.max(0, layers.get(k - 1).descriptor().size());
        }
        Thread t = new Thread(() -> {
            for (int k = layers.size() - 1; k > 0 && hidden.applyingLayer() < k; k--) {
                if (layers.get(k).descriptor().size() * SCAN_RATIO > below[k]) {
                    continue;
                }
                try (InputStream blob = downloads.get(k).openUnverified()) {
                    hidden.scan(k, blob, layers.get(k).descriptor().mediaType(), privileged);
                } catch (IOException | RuntimeException stopped) {
                    return; // an optimisation only; applying reports real problems
                }
            }
        }, "krgo-layer-scan");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits (briefly) for interrupted downloads to delete their temp files: the CLI halts the JVM right after
     * a failure, which would otherwise leave partial files in the store.
     */
    private static void awaitDownloadsStopped(ExecutorService pool) {
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean storedBlobIntact(Descriptor d) {
        try (InputStream in = store.open(d.parsedDigest(), d.size()).orElse(null)) {
            if (in == null) {
                return false;
            }
            in.transferTo(OutputStream.nullOutputStream());
            return true;
        } catch (IOException | KrgoException e) {
            return false;
        }
    }
}
