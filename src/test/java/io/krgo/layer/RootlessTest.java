package io.krgo.layer;

import io.krgo.image.Platform;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.store.OciLayout;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Rootless extraction (forced here, as CI runs as root) against {@code umoci unpack --rootless}. */
class RootlessTest {
    @TempDir
    Path tmp;

    @Test
    void ownersGoToTheRootlesscontainersXattrLikeUmoci() {
        byte[] x = "x".getBytes(StandardCharsets.UTF_8);
        Path tar = new TarBuilder()
                .dir("home", 0755, 0, 0, 1_500_000_000L)
                .dir("home/u", 0700, 1000, 1001, 1_500_000_000L)
                .file("home/u/f", x, 0640, 1000, 1001, 1_500_000_000L)
                .file("home/u/root-owned", x, 0644, 0, 0, 1_500_000_000L)
                .file("home/u/only-gid", x, 0644, 0, 50, 1_500_000_000L)
                .dir("ro", 0555, 0, 0, 1_500_000_000L)
                .file("ro/inside", x, 0444, 0, 0, 1_500_000_000L)
                .file("suid", x, 04755, 0, 0, 1_500_000_000L)
                .writeTo(tmp.resolve("l.tar"));
        Path layout = OciFixtures.create(tmp.resolve("layout"), "t", List.of(tar));
        OciFixtures.unpack(layout, "t", tmp.resolve("bundle"), "--rootless");
        Path dir = tmp.resolve("rootfs");
        PullResult r = new RootfsWriter(new BlobStore(tmp.resolve("cache"))).write(
                new OciLayout(layout).image("t", Platform.host()), dir,
                RootfsOptions.defaults().withApply(new ApplyOptions(false, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES)),
                null, null);
        assertThat(r.warnings()).isEmpty();
        TreeSnapshot umoci = TreeSnapshot.of(tmp.resolve("bundle/rootfs"));
        TreeSnapshot krgo = TreeSnapshot.of(dir);
        assertThat(krgo.diff(umoci)).as(umoci.toString()).isEmpty();
        assertThat(krgo.nodes().get("home/u/f").xattrs()).containsKey("user.rootlesscontainers");
        assertThat(krgo.nodes().get("home/u/root-owned").xattrs()).doesNotContainKey("user.rootlesscontainers");
    }

    @Test
    void devicesAreSkippedAndCountedWhenNotRoot() throws Exception {
        Path dir = tmp.resolve("r");
        java.nio.file.Files.createDirectories(dir);
        LayerApplier applier = new LayerApplier(dir, new ApplyOptions(false, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES));
        LayerResult res = applier.apply(new java.io.ByteArrayInputStream(new TarBuilder().dir("dev")
                .charDevice("dev/null", 1, 3).blockDevice("dev/sda", 8, 0).fifo("dev/fifo").bytes()));
        applier.finish();
        assertThat(res.stats().devicesSkipped()).isEqualTo(2);
        assertThat(TreeSnapshot.of(dir).nodes().keySet()).containsExactly("dev", "dev/fifo");
    }

    @Test
    void rootlessOwnerEncodingIsProtobuf() {
        assertThat(EntryMetadata.rootlessOwner(0, 0)).isEmpty();
        assertThat(EntryMetadata.rootlessOwner(1000, 1)).containsExactly(0x08, 0xe8, 0x07, 0x10, 0x01);
        assertThat(EntryMetadata.rootlessOwner(0, 50)).containsExactly(0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x32);
    }
}
