package io.krgo.rootfs;

import io.krgo.image.Descriptor;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;

import java.nio.file.Path;

/**
 * A separate JVM for {@link InterruptedPullTest}: pulls into args[0] a layer of 40,000 small files in 200
 * directories, printing "applying" as the applier starts on it, so a signal sent then lands mid-write.
 */
public final class BusyPullChild {
    public static void main(String[] args) {
        TarBuilder t = new TarBuilder();
        for (int d = 0; d < 200; d++) {
            t.dir("d" + d);
            for (int f = 0; f < 200; f++) {
                t.file("d" + d + "/f" + f, "content of " + d + "/" + f);
            }
        }
        InMemoryImage image = InMemoryImage.of(Blob.tar(t.bytes()));
        ProgressListener announce = new ProgressListener() {
            @Override
            public void layerApplying(int index, Descriptor layer) {
                System.out.println("applying");
                System.out.flush();
            }
        };
        new RootfsWriter(new BlobStore(Path.of(args[1]))).write(image, Path.of(args[0]),
                RootfsOptions.defaults().withForce(true), null, announce);
        System.out.println("finished");
    }
}
