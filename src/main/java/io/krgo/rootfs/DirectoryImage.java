package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.image.ComposedImage;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.layer.LayerBlob;
import io.krgo.layer.LayerChange;
import io.krgo.layer.LayerWriter;
import io.krgo.layer.LentAccess;
import io.krgo.layer.XattrReader;
import io.krgo.store.BlobStore;
import io.krgo.store.StoredLayer;
import io.krgo.tar.ByteNames;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain directory (no git layers) as an image source: the whole tree becomes one layer, written into the
 * content store; the config gets the given platform and one history entry.
 */
public final class DirectoryImage {
    private DirectoryImage() {
    }

    /** Packs {@code dir} into one layer in {@code store} and returns the one-layer image. */
    public static Image of(BlobStore store, Path dir, Platform platform, LayerWriter.Options options) {
        return of(store, dir, platform, options, null);
    }

    /** As above; {@code tee} also receives the layer blob's bytes as they are written (see {@link LayerWriter}). */
    public static Image of(BlobStore store, Path dir, Platform platform, LayerWriter.Options options,
                           java.io.OutputStream tee) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new FilesystemException(dir + " is not a directory");
        }
        try (LentAccess lent = LentAccess.open(dir)) { // a rootless tree's dirs of mode 0000 hide what is below
            List<LayerChange> all = new ArrayList<>();
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    if (!d.equals(dir)) {
                        all.add(new LayerChange.Add(ByteNames.relative(dir, d)));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    all.add(new LayerChange.Add(ByteNames.relative(dir, f)));
                    return FileVisitResult.CONTINUE;
                }
            });
            LayerBlob blob = new LayerWriter(store, new XattrReader()).write(dir, all, options, tee);
            String now = Instant.now().toString();
            byte[] rawConfig = ImageConfig.empty(platform)
                    .withLayer(blob.diffId(), now, "krgo push (directory " + dir.getFileName() + ")", null).toJson();
            Compression c = blob.compression() == Compression.UNKNOWN ? Compression.GZIP : blob.compression();
            String layerType = MediaTypes.layerType(MediaTypes.OCI_MANIFEST, c).orElseThrow();
            Descriptor layer = new Descriptor(layerType, blob.digest(), blob.size());
            Manifest manifest = new Manifest(MediaTypes.OCI_MANIFEST,
                    new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(rawConfig), rawConfig.length), List.of(layer));
            return new ComposedImage(manifest.toJson(), null, rawConfig,
                    List.of(new StoredLayer(store, layer, blob.diffId())));
        } catch (IOException e) {
            throw new FilesystemException("cannot pack " + dir + ": " + e.getMessage(), e);
        }
    }
}
