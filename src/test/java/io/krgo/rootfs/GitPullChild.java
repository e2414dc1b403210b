package io.krgo.rootfs;

import io.krgo.gitlayers.GitLayers;
import io.krgo.image.Image;
import io.krgo.image.Layer;
import io.krgo.layer.AppliedChanges;
import io.krgo.store.BlobStore;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A separate JVM for {@link InterruptedPullCleanupTest}: {@code pull -g --force} into args[0] of an image
 * whose second layer never finishes downloading; prints "applying" once the first layer is committed to
 * the staged git repository.
 */
public final class GitPullChild {
    public static void main(String[] args) {
        BlobStore store = new BlobStore(Path.of(args[1]));
        Image image = PullChild.imageWithStuckSecondLayer();
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
