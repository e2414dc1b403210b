package io.krgo.rootfs;

import io.krgo.sys.NativeFs;
import io.krgo.error.FilesystemException;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Layer;
import io.krgo.compress.Decompression;
import io.krgo.layer.HiddenPaths;
import io.krgo.layer.LayerApplier;
import io.krgo.layer.LayerResult;
import io.krgo.layer.LayerStats;
import io.krgo.sys.Trees;
import io.krgo.store.BlobStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The pull-into-directory sink. Layers download concurrently (bounded) into the blob store and are
 * applied in order, each as soon as it is complete, into a staging directory beside DIR; DIR changes
 * only by renames at the end. On any failure or interruption (also Ctrl-C, via a shutdown hook) the
 * staging directory is removed and DIR stays as it was.
 */
public final class RootfsWriter {
    /** A layer is scanned ahead when the layers below it are at least this many times its size. */
    private static final int SCAN_RATIO = 8;
    /** How far (bytes of uncompressed tar) a layer may be inflated ahead of its turn: bounds the spool's disk use. */
    private static final long SPOOL_AHEAD = 8 * LayerSpool.SEGMENT;
    private final BlobStore store;

    public RootfsWriter(BlobStore store) {
        this.store = store;
    }

    /** {@link #write(Image, String, Path, RootfsOptions, LayerListener, ProgressListener)} without a reference. */
    public PullResult write(Image image, Path dir, RootfsOptions opts, LayerListener listener,
                            ProgressListener progress) {
        return write(image, null, dir, opts, listener, progress);
    }

    /**
     * Writes {@code image} as a root filesystem into {@code dir}.
     *
     * @param reference recorded in the metadata (what the user asked for); may be null
     * @param listener  told after each layer (e.g. the git-layers sink); may be null
     * @param progress  may be null
     */
    public PullResult write(Image image, String reference, Path dir, RootfsOptions opts, LayerListener listener,
                            ProgressListener progress) {
        ProgressListener prog = progress == null ? ProgressListener.NONE : progress;
        RootfsLayout layout = RootfsLayout.of(dir);
        layout.abandonedStagingDirs().forEach(Trees::deleteQuietly); // left by a killed pull of this DIR
        Digest manifestDigest = image.descriptor().parsedDigest();
        Path target = layout.dir();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FilesystemException(target + " exists and is not a directory");
        }
        boolean nonEmpty = !layout.dirIsEmptyOrAbsent();
        if (nonEmpty && !opts.force()) {
            boolean same = layout.metadata().imageRecord()
                    .map(r -> manifestDigest.toString().equals(r.manifestDigest())).orElse(false);
            if (same) {
                return new PullResult(manifestDigest, true, image.layers().size(), 0, 0, List.of());
            }
            throw new FilesystemException(target + " is not empty (use --force to replace it)");
        }

        Path staging = layout.newStagingDir();
        // On SIGTERM/SIGINT the JVM runs this hook while the pull goes on: first stop the pull's writing (an
        // interrupt; the finally below waits for its threads), then remove the staging directory. Deleting
        // under a running applier left files behind, and the applier reported the vanishing paths as errors.
        Thread puller = Thread.currentThread();
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean shuttingDown = new java.util.concurrent.atomic.AtomicBoolean();
        Thread cleanup = new Thread(() -> {
            shuttingDown.set(true);
            puller.interrupt();
            try {
                stopped.await(STOP_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            removeStaging(staging);
        }, "krgo-staging-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        List<Layer> layers = image.layers();
        Thread scanner = null;
        Thread inflater = null;
        List<LayerSpool> spools = null;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(opts.parallelism(), layers.size())),
                r -> {
                    Thread t = new Thread(r, "krgo-layer-download");
                    t.setDaemon(true);
                    return t;
                });
        try {
            Path rootfs = staging.resolve("rootfs");
            Path meta = staging.resolve("meta");
            Files.createDirectories(rootfs);
            Files.createDirectories(meta);

            prog.started(layers.stream().map(Layer::descriptor).toList());
            List<LayerDownload> downloads = new ArrayList<>();
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
            if (listener != null) {
                listener.pullStarted(image, meta);
            }
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
            LayerApplier applier;
            try {
                applier = applyAll(layers, downloads, spools, rootfs, opts, hidden, listener, prog);
            } catch (HiddenPaths.SkippedLinkTarget rare) {
                scanner.interrupt();
                stopSpooling(spools, inflater);
                Trees.deleteRecursively(rootfs);
                Files.createDirectories(rootfs);
                applier = applyAll(layers, downloads, null, rootfs, opts, null, listener, prog);
            }
            LayerStats totals = applier.totals();

            Descriptor config = image.manifest().config();
            new RootfsMetadata(meta).writeImageRecord(new ImageRecord(reference, manifestDigest.toString(),
                    config.digest(), image.config().platform(), image.manifest().layers()), image.rawConfig());

            moveIntoPlace(rootfs, target);
            replaceMeta(layout, meta);
            if (listener != null) {
                listener.pullFinished(target);
            }
            List<String> warnings = new ArrayList<>();
            if (totals.devicesSkipped() > 0) {
                warnings.add(totals.devicesSkipped() + " device node(s) were not created (not running as root)");
            }
            if (totals.xattrsSkipped() > 0) {
                warnings.add(totals.xattrsSkipped() + " security/trusted/system xattr(s) were not set (not running as root);"
                        + " on files they are kept as user.krgo.NAME, which commit and push restore");
            }
            if (totals.aclsUnresolved() > 0) {
                warnings.add(totals.aclsUnresolved() + " ACL(s) were not set: they name users or groups the image's"
                        + " /etc/passwd and /etc/group do not have (the names of the host that wrote the layer)");
            }
            return new PullResult(manifestDigest, false, layers.size(), totals.bytes(), totals.devicesSkipped(), warnings);
        } catch (IOException e) {
            if (shuttingDown.get()) {
                throw interruptedBySignal(target, e);
            }
            throw new FilesystemException("cannot write " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (shuttingDown.get()) {
                throw interruptedBySignal(target, e);
            }
            throw e;
        } finally {
            boolean interrupted = Thread.interrupted(); // the waits below must wait: threads stop before the delete
            if (scanner != null) {
                scanner.interrupt();
            }
            stopSpooling(spools, inflater);
            pool.shutdownNow();
            awaitDownloadsStopped(pool);
            Trees.deleteQuietly(staging);
            stopped.countDown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or will run: it deletes the same directory
            }
        }
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
            spools.stream().filter(java.util.Objects::nonNull).forEach(LayerSpool::close);
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
    private LayerApplier applyAll(List<Layer> layers, List<LayerDownload> downloads, List<LayerSpool> spools,
                                  Path rootfs, RootfsOptions opts, HiddenPaths hidden, LayerListener listener,
                                  ProgressListener prog) throws IOException {
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
            pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
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

    /** How long the shutdown hook waits for the pull to stop writing before it deletes the staging directory. */
    private static final int STOP_WAIT_SECONDS = 10;

    private static FilesystemException interruptedBySignal(Path target, Exception cause) {
        return new FilesystemException("pull into " + target + " interrupted; " + target + " is unchanged", cause);
    }

    /**
     * Removes the staging directory from a shutdown hook, after the pull stopped or the wait for it ran out:
     * then a thread that did not stop may still add files, so a failed pass is retried.
     */
    private static void removeStaging(Path staging) {
        for (int attempt = 0; attempt < 20 && Files.exists(staging, LinkOption.NOFOLLOW_LINKS); attempt++) {
            Trees.deleteQuietly(staging);
            if (Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** DIR absent or empty: one rename (it replaces an empty directory). Otherwise old aside, new in, old deleted. */
    private static void moveIntoPlace(Path staged, Path target) throws IOException {
        if (RootfsLayout.of(target).dirIsEmptyOrAbsent()) {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        replace(staged, target, RootfsLayout.of(target).newAsideDir());
    }

    /**
     * Puts {@code staged} at {@code target}, which exists: one atomic exchange where Linux can (no instant
     * without a target, even if the process is killed), else old aside, new in, old deleted. Either way the
     * old tree ends up at {@code staged} or {@code aside} and is deleted.
     */
    private static void replace(Path staged, Path target, Path aside) throws IOException {
        if (NativeFs.exchange(staged, target)) {
            Trees.deleteQuietly(staged);
            return;
        }
        Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        Trees.deleteQuietly(aside);
    }

    private static void replaceMeta(RootfsLayout layout, Path stagedMeta) throws IOException {
        Path metaDir = layout.metaDir();
        if (!Files.exists(metaDir, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(stagedMeta, metaDir, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        replace(stagedMeta, metaDir,
                layout.parent().resolve(metaDir.getFileName() + "-old-" + java.util.UUID.randomUUID().toString().substring(0, 8)));
    }
}
