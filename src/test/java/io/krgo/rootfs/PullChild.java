package io.krgo.rootfs;

import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Images;
import io.krgo.image.Layer;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A separate JVM for {@link InterruptedPullTest}: pulls into args[0] an image whose second layer never
 * finishes downloading, after printing "applying" once the first layer is in the staging tree.
 */
public final class PullChild {
    public static void main(String[] args) {
        Image image = imageWithStuckSecondLayer();
        LayerListener announce = (i, layer, root, changes) -> {
            System.out.println("applying");
            System.out.flush();
        };
        new RootfsWriter(new BlobStore(Path.of(args[1]))).write(image, Path.of(args[0]),
                RootfsOptions.defaults().withForce(true), announce, null);
    }

    /** An image whose first layer ({@code etc/new}) applies and whose second never finishes downloading. */
    static Image imageWithStuckSecondLayer() {
        InMemoryImage base = InMemoryImage.of(Blob.tar(new TarBuilder().dir("etc").file("etc/new", "new").bytes()),
                Blob.tar(new TarBuilder().file("never", "x").bytes()));
        Layer stuck = new Layer() {
            @Override
            public Descriptor descriptor() {
                return base.layers().get(1).descriptor();
            }

            @Override
            public Optional<Digest> diffId() {
                return Optional.empty();
            }

            @Override
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
        return Images.withLayers(base, List.of(base.layers().get(0), stuck));
    }
}
