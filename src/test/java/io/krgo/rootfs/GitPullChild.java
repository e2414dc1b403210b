package io.krgo.rootfs;

import io.krgo.gitlayers.GitLayers;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.layer.AppliedChanges;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A separate JVM for {@link InterruptedPullCleanupTest}: {@code pull -g --force} into args[0] of an image
 * whose second layer never finishes downloading; prints "applying" once the first layer is committed to
 * the staged git repository.
 */
public final class GitPullChild {
    public static void main(String[] args) {
        BlobStore store = new BlobStore(Path.of(args[1]));
        InMemoryImage base = InMemoryImage.of(Blob.tar(new TarBuilder().dir("etc").file("etc/new", "new").bytes()),
                Blob.tar(new TarBuilder().file("never", "x").bytes()));
        Layer first = base.layers().get(0);
        Layer stuck = new Layer() {
            public Descriptor descriptor() { return base.layers().get(1).descriptor(); }
            public Optional<Digest> diffId() { return Optional.empty(); }
            public InputStream open() {
                return new InputStream() {
                    @Override
                    public int read() {
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return -1;
                    }
                };
            }
        };
        Image image = new Image() {
            public Descriptor descriptor() { return base.descriptor(); }
            public byte[] rawManifest() { return base.rawManifest(); }
            public Manifest manifest() { return base.manifest(); }
            public byte[] rawConfig() { return base.rawConfig(); }
            public ImageConfig config() { return base.config(); }
            public List<Layer> layers() { return List.of(first, stuck); }
        };
        GitLayers git = new GitLayers(store, Path.of(args[0]));
        LayerListener announcing = new LayerListener() {
            @Override
            public void pullStarted(Image img, Path stagedMetaDir) throws IOException {
                git.pullStarted(img, stagedMetaDir);
            }

            @Override
            public void layerApplied(int index, Layer layer, Path root, AppliedChanges changes) throws IOException {
                git.layerApplied(index, layer, root, changes);
                System.out.println("applying");
                System.out.flush();
            }

            @Override
            public void pullFinished(Path target) throws IOException {
                git.pullFinished(target);
            }
        };
        new RootfsWriter(store).write(image, Path.of(args[0]), RootfsOptions.defaults().withForce(true), announcing, null);
    }
}
