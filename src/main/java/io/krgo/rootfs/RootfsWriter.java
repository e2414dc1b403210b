package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Layer;
import io.krgo.layer.LayerStats;
import io.krgo.store.BlobStore;
import io.krgo.store.StoreRoots;
import io.krgo.sys.Trees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pull-into-directory sink. Layers download concurrently (bounded) into the blob store and are
 * applied in order, each as soon as it is complete, into a staging directory beside DIR; DIR changes
 * only by renames at the end. On any failure or interruption (also Ctrl-C, via a shutdown hook) the
 * staging directory is removed and DIR stays as it was. {@link LayerPipeline} runs the layers,
 * {@link Staging} owns the staging directory and the final renames.
 */
public final class RootfsWriter {
    private final BlobStore store;
    private final StoreRoots roots;

    /** The blobs a rootfs of {@code image} references in the store: manifest, config, layers. */
    private static List<Digest> blobsOf(Image image) {
        List<Digest> blobs = new ArrayList<>();
        blobs.add(image.descriptor().parsedDigest());
        blobs.add(image.manifest().config().parsedDigest());
        image.layers().forEach(l -> blobs.add(l.descriptor().parsedDigest()));
        return blobs;
    }

    public RootfsWriter(BlobStore store) {
        this.store = store;
        this.roots = new StoreRoots(store);
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
                roots.register(target, manifestDigest, blobsOf(image)); // also roots a rootfs pulled before roots existed
                return new PullResult(manifestDigest, true, image.layers().size(), 0, 0, List.of());
            }
            throw new FilesystemException(target + " is not empty (use --force to replace it)");
        }

        AutoCloseable pending = roots.pending(manifestDigest, blobsOf(image)); // no prune collects them under us
        Staging staging = new Staging(layout);
        LayerPipeline pipeline = new LayerPipeline(store, image.layers(), opts, prog);
        try {
            Files.createDirectories(staging.rootfs());
            Files.createDirectories(staging.meta());
            prog.started(image.layers().stream().map(Layer::descriptor).toList());
            pipeline.startDownloads();
            if (listener != null) {
                listener.pullStarted(image, staging.meta());
            }
            LayerStats totals = pipeline.apply(staging.rootfs(), staging.dir(), listener).totals();

            Descriptor config = image.manifest().config();
            new RootfsMetadata(staging.meta()).writeImageRecord(new ImageRecord(reference, manifestDigest.toString(),
                    config.digest(), image.config().platform(), image.manifest().layers()), image.rawConfig());
            staging.install(layout);
            roots.register(target, manifestDigest, blobsOf(image));
            if (listener != null) {
                listener.pullFinished(target);
            }
            return new PullResult(manifestDigest, false, image.layers().size(), totals.bytes(),
                    totals.devicesSkipped(), warnings(totals));
        } catch (IOException | RuntimeException e) {
            throw staging.failure(target, e);
        } finally {
            boolean interrupted = Thread.interrupted(); // the waits below must wait: threads stop before the delete
            pipeline.stop();
            staging.close();
            try {
                pending.close();
            } catch (Exception e) {
                // a pending root of a gone process stops counting anyway
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static List<String> warnings(LayerStats totals) {
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
        return warnings;
    }
}
