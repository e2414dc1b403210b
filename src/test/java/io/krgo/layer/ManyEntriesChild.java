package io.krgo.layer;

import io.krgo.image.ComposedImage;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.ImageConfig;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.store.StoredLayer;
import io.krgo.testing.InMemoryImage;

import java.nio.file.Path;
import java.util.List;

/**
 * A separate, small-heap JVM for {@link ManyEntriesTest}: pulls one stored gzip layer into a directory.
 * Args: source store, layer digest, layer size, diff_id, DIR, cache. Prints the entry count.
 */
public final class ManyEntriesChild {
    public static void main(String[] args) {
        BlobStore source = new BlobStore(Path.of(args[0]));
        Descriptor layer = new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.parse(args[1]), Long.parseLong(args[2]));
        Digest diffId = Digest.parse(args[3]);
        byte[] config = ImageConfig.empty(InMemoryImage.platform()).withLayer(diffId, "2020-01-01T00:00:00Z", "test", null)
                .toJson();
        Manifest m = new Manifest(MediaTypes.OCI_MANIFEST,
                new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(config), config.length), List.of(layer));
        ComposedImage image = new ComposedImage(m.toJson(), MediaTypes.OCI_MANIFEST, config,
                List.of(new StoredLayer(source, layer, diffId)));
        PullResult r = new RootfsWriter(new BlobStore(Path.of(args[5]))).write(image, Path.of(args[4]),
                RootfsOptions.defaults(), null, null);
        System.out.println("bytes " + r.bytes());
        Runtime rt = Runtime.getRuntime();
        System.out.println("heap " + (rt.totalMemory() - rt.freeMemory()));
    }
}
