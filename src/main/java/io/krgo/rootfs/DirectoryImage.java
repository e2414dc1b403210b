package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.layer.LayerBlob;
import io.krgo.layer.LayerChange;
import io.krgo.layer.LayerWriter;
import io.krgo.layer.XattrReader;
import io.krgo.store.BlobStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A plain directory (no git layers) as an image source: the whole tree becomes one layer, written into the
 * content store; the config gets the given platform and one history entry.
 */
public final class DirectoryImage implements Image {
    private final BlobStore store;
    private final Manifest manifest;
    private final byte[] rawManifest;
    private final byte[] rawConfig;
    private final ImageConfig config;
    private final LayerBlob blob;

    private DirectoryImage(BlobStore store, LayerBlob blob, ImageConfig config) {
        this.store = store;
        this.blob = blob;
        this.config = config;
        this.rawConfig = config.toJson();
        String layerType = switch (blob.compression()) {
            case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
            case NONE -> MediaTypes.OCI_LAYER;
            default -> MediaTypes.OCI_LAYER_GZIP;
        };
        this.manifest = new Manifest(MediaTypes.OCI_MANIFEST,
                new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(rawConfig), rawConfig.length),
                List.of(new Descriptor(layerType, blob.digest(), blob.size())));
        this.rawManifest = manifest.toJson();
    }

    /** Packs {@code dir} into one layer in {@code store}. */
    public static DirectoryImage of(BlobStore store, Path dir, Platform platform, LayerWriter.Options options) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new FilesystemException(dir + " is not a directory");
        }
        try {
            List<LayerChange> all = new ArrayList<>();
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    if (!d.equals(dir)) {
                        all.add(new LayerChange.Add(relative(dir, d)));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    all.add(new LayerChange.Add(relative(dir, f)));
                    return FileVisitResult.CONTINUE;
                }
            });
            LayerBlob blob = new LayerWriter(store, new XattrReader()).write(dir, all, options);
            String now = Instant.now().toString();
            ImageConfig config = ImageConfig.empty(platform)
                    .withLayer(blob.diffId(), now, "krgo push (directory " + dir.getFileName() + ")", null);
            return new DirectoryImage(store, blob, config);
        } catch (IOException e) {
            throw new FilesystemException("cannot pack " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String relative(Path root, Path p) {
        return root.relativize(p).toString();
    }

    @Override
    public Descriptor descriptor() {
        return new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(rawManifest), rawManifest.length);
    }

    @Override
    public byte[] rawManifest() {
        return rawManifest.clone();
    }

    @Override
    public Manifest manifest() {
        return manifest;
    }

    @Override
    public byte[] rawConfig() {
        return rawConfig.clone();
    }

    @Override
    public ImageConfig config() {
        return config;
    }

    @Override
    public List<Layer> layers() {
        Descriptor d = manifest.layers().get(0);
        return List.of(new Layer() {
            @Override
            public Descriptor descriptor() {
                return d;
            }

            @Override
            public Optional<Digest> diffId() {
                return Optional.of(blob.diffId());
            }

            @Override
            public InputStream open() {
                return store.open(blob.digest(), blob.size())
                        .orElseThrow(() -> new FilesystemException("layer " + blob.digest() + " vanished from "
                                + store.root()));
            }
        });
    }
}
