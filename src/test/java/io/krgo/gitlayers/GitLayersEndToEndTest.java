package io.krgo.gitlayers;

import io.krgo.error.UsageException;
import io.krgo.image.Image;
import io.krgo.image.Platform;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.store.OciLayout;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.TreeSnapshot;
import io.krgo.testing.Umoci;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real pull sink ({@link RootfsWriter}) with git layers, on a two-layer image made by umoci (the second
 * layer by {@code umoci repack}, with whiteouts); then commit, and umoci unpacks the result to DIR exactly.
 */
class GitLayersEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void pullWithGitLayersCommitAndUnpackWithUmoci() throws Exception {
        Path src = tmp.resolve("src");
        GitLayersCommitTest.buildBase(src);
        Path layoutDir = tmp.resolve("oci");
        OciFixture.create(layoutDir, src, tmp);
        Path bundle = tmp.resolve("work");
        OciFixtures.unpack(layoutDir, "base", bundle);
        Files.delete(bundle.resolve("rootfs/etc/hosts"));
        GitLayersCommitTest.deleteTree(bundle.resolve("rootfs/usr/share/doc/sub"));
        Files.writeString(bundle.resolve("rootfs/etc/second"), "layer two");
        Umoci.run("repack", "--image", layoutDir + ":two", bundle.toString());

        OciLayout layout = new OciLayout(layoutDir);
        Image two = layout.image("two", Platform.host());
        BlobStore cache = new BlobStore(tmp.resolve("cache"));
        Path dir = tmp.resolve("rootfs");
        GitLayers git = new GitLayers(cache, dir);
        new RootfsWriter(cache).write(two, dir, RootfsOptions.defaults(), git, null);

        GitLayers reopened = new GitLayers(cache, dir);
        assertThat(reopened.branches()).hasSize(2);
        assertThat(reopened.currentBranch()).isEqualTo(reopened.branches().get(1));
        assertThat(Files.exists(dir.resolve("etc/hosts"))).isFalse();
        assertThat(reopened.image().rawManifest()).isEqualTo(two.rawManifest());
        // What the listener recorded is what the sink left: a fresh pull has nothing to commit.
        assertThatThrownBy(() -> reopened.commit("none", CommitOptions.defaults()))
                .isInstanceOf(UsageException.class).hasMessageContaining("nothing to commit");

        Files.writeString(dir.resolve("etc/third"), "layer three");
        Files.delete(dir.resolve("etc/second"));
        Files.setAttribute(dir.resolve("bin/tool"), "unix:mode", 0700);
        CommitResult r = reopened.commit("third", new CommitOptions(io.krgo.layer.LayerWriter.Options.defaults(),
                Instant.parse("2024-01-01T00:00:00Z")));
        assertThat(r.branch()).startsWith("layer_2_");

        layout.write(reopened.image(), "three");
        Path unpacked = new OciFixture(layoutDir).unpack("three", tmp.resolve("check"));
        // krgo's extraction sets a symlink's mtime with lutimes (microseconds; the JDK offers nothing finer
        // without following the link), umoci to the nanosecond: compare symlink mtimes to the microsecond.
        Set<TreeSnapshot.Option> links = Set.of(TreeSnapshot.Option.LINKS_FROM_OUTSIDE);
        assertThat(TreeSnapshot.of(unpacked, links).diff(TreeSnapshot.of(dir, links))).as("paths that differ").isEmpty();
    }
}
