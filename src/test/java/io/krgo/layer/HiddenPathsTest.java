package io.krgo.layer;

import io.krgo.image.MediaTypes;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Skipping what upper layers hide must never change the result: each stack is applied once writing
 * everything and once with every upper layer scanned beforehand (the most skipping possible), and through
 * RootfsWriter (scanner racing the applier); all three trees must be identical.
 */
class HiddenPathsTest {
    private static final ApplyOptions ROOT = new ApplyOptions(true, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES);
    private static final ApplyOptions ROOTLESS = new ApplyOptions(false, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES);

    @TempDir
    Path tmp;

    private Path reference(ApplyOptions o, byte[]... tars) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("reference"));
        LayerApplier a = new LayerApplier(root, o);
        for (byte[] t : tars) {
            a.apply(new ByteArrayInputStream(t));
        }
        a.finish();
        return root;
    }

    /** Applies with all upper layers scanned first; returns the number of entries skipped. */
    private long pruned(Path root, ApplyOptions o, byte[]... tars) throws Exception {
        Files.createDirectories(root);
        HiddenPaths hidden = new HiddenPaths();
        for (int k = tars.length - 1; k > 0; k--) {
            hidden.scan(k, new ByteArrayInputStream(tars[k]), MediaTypes.OCI_LAYER, o.privileged());
        }
        LayerApplier a = new LayerApplier(root, o, hidden);
        for (byte[] t : tars) {
            a.apply(new ByteArrayInputStream(t));
        }
        a.finish();
        return a.hiddenSkipped();
    }

    private Path viaWriter(byte[]... tars) {
        Blob[] blobs = Arrays.stream(tars).map(Blob::tar).toArray(Blob[]::new);
        Path dir = tmp.resolve("writer/rootfs");
        new RootfsWriter(new BlobStore(tmp.resolve("cache")))
                .write(InMemoryImage.of(blobs), dir, RootfsOptions.defaults(), null, null);
        return dir;
    }

    private static List<String> diff(Path a, Path b, String... implicitDirs) {
        // Directories created implicitly (no entry of their own) carry the time they were made.
        return TreeSnapshot.of(a).diff(TreeSnapshot.of(b)).stream()
                .filter(d -> Arrays.stream(implicitDirs).noneMatch(i -> d.startsWith(i + ": mtime")))
                .toList();
    }

    private static byte[][] tricky() {
        byte[] l0 = new TarBuilder()
                .dir("usr").dir("usr/share").dir("usr/share/man").dir("usr/share/man/man1")
                .file("usr/share/man/man1/ls.1", "ls").file("usr/share/man/man1/cp.1", "cp")
                .dir("usr/share/doc").dir("usr/share/doc/pkg").file("usr/share/doc/pkg/copyright", "c")
                .dir("etc").file("etc/conf", "old")
                .dir("opt").dir("opt/d").file("opt/d/x", "x")
                // a symlink below a whited-out directory leads outside it: what is written through it stays
                .dir("real").dir("w").symlink("w/s", "/real").file("w/s/inside", "kept")
                // no directory entries: imp and imp/a are implicit, imp/a must survive the whiteout of imp/a/b
                .file("imp/a/b/c", "c")
                .dir("same").file("same/f", "survives")
                .bytes();
        byte[] l1 = new TarBuilder()
                .dir("etc").file("etc/conf", "new")
                .dir("opt").file("opt/d", "now a file")
                .file("usr/share/man/man1/ls.1", "ls again")
                // the same layer writes "same" and whites it out: the whiteout hides nothing
                .dir("same").whiteout("same")
                .bytes();
        byte[] l2 = new TarBuilder()
                .whiteout("usr/share/man")
                .dir("usr/share/doc").opaque("usr/share/doc").file("usr/share/doc/README", "r")
                .whiteout("w")
                .whiteout("imp/a/b")
                .bytes();
        return new byte[][] {l0, l1, l2};
    }

    @Test
    void skippingHiddenEntriesGivesTheSameTree() throws Exception {
        byte[][] tars = tricky();
        Path ref = reference(ROOT, tars);
        long skipped = pruned(tmp.resolve("pruned"), ROOT, tars);
        assertThat(skipped).as("entries skipped").isGreaterThanOrEqualTo(10);
        assertThat(diff(ref, tmp.resolve("pruned"), "imp", "imp/a")).isEmpty();
        assertThat(diff(ref, viaWriter(tars), "imp", "imp/a")).isEmpty();
        // the cases that make skipping subtle
        assertThat(Files.readString(ref.resolve("real/inside"))).isEqualTo("kept");
        assertThat(Files.isDirectory(ref.resolve("imp/a"))).isTrue();
        assertThat(Files.readString(ref.resolve("same/f"))).isEqualTo("survives");
        assertThat(Files.exists(ref.resolve("usr/share/man"))).isFalse();
        assertThat(Files.readString(ref.resolve("etc/conf"))).isEqualTo("new");
    }

    @Test
    void aDeviceNotCreatedRootlessHidesNothing() throws Exception {
        byte[] l0 = new TarBuilder().dir("dev").file("dev/thing", "file").bytes();
        byte[] l1 = new TarBuilder().dir("dev").charDevice("dev/thing", 1, 3).bytes();
        Path ref = reference(ROOTLESS, l0, l1);
        assertThat(pruned(tmp.resolve("pruned"), ROOTLESS, l0, l1)).isZero();
        assertThat(diff(ref, tmp.resolve("pruned"))).isEmpty();
        assertThat(Files.readString(ref.resolve("dev/thing"))).isEqualTo("file");
    }

    @Test
    void aHardlinkToASkippedFileAsksForAnotherPassAndThePullStillMatches() throws Exception {
        byte[] l0 = new TarBuilder().dir("h").file("h/hidden", "content").dir("keep").hardlink("keep/link", "h/hidden").bytes();
        byte[] l1 = new TarBuilder().whiteout("h").bytes();
        Path ref = reference(ROOT, l0, l1);
        assertThat(Files.readString(ref.resolve("keep/link"))).isEqualTo("content");
        assertThatThrownBy(() -> pruned(tmp.resolve("pruned"), ROOT, l0, l1))
                .isInstanceOf(HiddenPaths.SkippedLinkTarget.class);
        assertThat(diff(ref, viaWriter(l0, l1))).isEmpty();
    }

    @Test
    void upperNamesThroughSymlinksAreNotTakenForLowerOnes() throws Exception {
        // lib -> usr/lib; the upper layer whites out lib/x (the link's target's x), the lower wrote usr/lib/x
        // and lib2/x; only the real usr/lib/x goes, and skipping must not touch lib2/x.
        byte[] l0 = new TarBuilder().dir("usr").dir("usr/lib").symlink("lib", "usr/lib")
                .file("usr/lib/x", "x").dir("lib2").file("lib2/x", "y").bytes();
        byte[] l1 = new TarBuilder().whiteout("lib/x").file("lib2", "file now").bytes();
        byte[] l2 = new TarBuilder().dir("z").bytes();
        Path ref = reference(ROOT, l0, l1, l2);
        pruned(tmp.resolve("pruned"), ROOT, l0, l1, l2);
        assertThat(diff(ref, tmp.resolve("pruned"))).isEmpty();
        assertThat(diff(ref, viaWriter(l0, l1, l2))).isEmpty();
    }
}
