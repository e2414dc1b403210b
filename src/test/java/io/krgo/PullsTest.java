package io.krgo;

import io.krgo.gitlayers.GitLayers;
import io.krgo.image.Image;
import io.krgo.image.Platform;
import io.krgo.registry.CredentialResolver;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.store.BlobStore;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The force decision of a pull into a directory (an image built by umoci, read from its OCI layout). */
class PullsTest {
    @TempDir
    Path work;

    @Test
    void gitLayersAskedForADirThatHoldsTheImageWithoutThemRewriteItThenItIsUpToDate() throws Exception {
        Path layer = new TarBuilder().file("etc/greeting", "hello\n").writeTo(work.resolve("l.tar"));
        Path layout = OciFixtures.create(work.resolve("layout"), "v1", List.of(layer));
        Krgo krgo = new Krgo(new BlobStore(work.resolve("store")),
                new CredentialResolver(Map.of(), work.resolve("no-home")));
        Image image = krgo.ociImage(layout, "v1", Platform.host());
        Path dir = work.resolve("rootfs");

        PullResult plain = krgo.pull(new ImagePullRequest(image, null, dir, false, false), ProgressListener.NONE);
        assertThat(plain.upToDate()).isFalse();
        PullResult plainAgain = krgo.pull(new ImagePullRequest(image, null, dir, false, false), ProgressListener.NONE);
        assertThat(plainAgain.upToDate()).isTrue();

        // the same image, now with -g: written again so the branches exist, not "already up to date"
        PullResult withGit = krgo.pull(new ImagePullRequest(image, null, dir, true, false), ProgressListener.NONE);
        assertThat(withGit.upToDate()).isFalse();
        assertThat(new GitLayers(krgo.store(), dir).exists()).isTrue();
        assertThat(Files.readString(dir.resolve("etc/greeting"))).isEqualTo("hello\n");

        PullResult gitAgain = krgo.pull(new ImagePullRequest(image, null, dir, true, false), ProgressListener.NONE);
        assertThat(gitAgain.upToDate()).isTrue();
        assertThat(gitAgain.manifestDigest()).isEqualTo(withGit.manifestDigest());
    }
}
