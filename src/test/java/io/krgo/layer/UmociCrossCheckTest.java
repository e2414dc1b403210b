package io.krgo.layer;

import io.krgo.image.Image;
import io.krgo.image.Platform;
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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds layer tars, makes an OCI layout of them with umoci, unpacks it with umoci and with krgo (the
 * layout as source, RootfsWriter as sink) and requires the two trees to be identical in everything
 * {@link TreeSnapshot} captures. Runs as root, like CI, so owners, devices and security xattrs count.
 */
class UmociCrossCheckTest {
    @TempDir
    Path tmp;

    private TreeSnapshot[] both(TarBuilder... layers) {
        List<Path> tars = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            tars.add(layers[i].writeTo(tmp.resolve("layer" + i + ".tar")));
        }
        Path layout = OciFixtures.create(tmp.resolve("layout"), "t", tars);
        Path umociRoot = OciFixtures.unpack(layout, "t", tmp.resolve("bundle"));
        Image image = new OciLayout(layout).image("t", Platform.host());
        Path dir = tmp.resolve("out/rootfs");
        new RootfsWriter(new BlobStore(tmp.resolve("cache"))).write(image, "t", dir, RootfsOptions.defaults(), null, null);
        TreeSnapshot expected = TreeSnapshot.of(umociRoot);
        TreeSnapshot actual = TreeSnapshot.of(dir);
        assertThat(expected.nodes()).as("umoci produced a tree").isNotEmpty();
        return new TreeSnapshot[] {expected, actual};
    }

    private void assertSame(TarBuilder... layers) {
        TreeSnapshot[] s = both(layers);
        assertThat(s[1].diff(s[0])).as("krgo vs umoci\n" + s[0]).isEmpty();
    }

    /** Like {@link #assertSame} but tolerating differences starting with one of {@code known}. */
    private void assertSameExcept(List<String> known, TarBuilder... layers) {
        TreeSnapshot[] s = both(layers);
        List<String> diff = s[1].diff(s[0]).stream().filter(d -> known.stream().noneMatch(d::startsWith)).toList();
        assertThat(diff).as("krgo vs umoci\n" + s[0]).isEmpty();
    }

    @Test
    void filesDirsModesOwnersTimesAndXattrs() {
        assertSame(new TarBuilder()
                .dir("etc", 0755, 0, 0, 1_500_000_000L)
                .file("etc/hosts", "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8), 0644, 0, 0, 1_500_000_001L)
                .file("etc/shadow", "root:*:\n".getBytes(StandardCharsets.UTF_8), 0640, 0, 42, 1_500_000_002L)
                .dir("home", 0755, 0, 0, 1_500_000_003L)
                .dir("home/user", 0700, 1000, 1000, 1_500_000_004L)
                .file("home/user/notes", "x".getBytes(StandardCharsets.UTF_8), 0600, 1000, 1000, 1_500_000_005L)
                .dir("usr", 0755, 0, 0, 1_500_000_006L)
                .dir("usr/bin", 0755, 0, 0, 1_500_000_007L)
                .file("usr/bin/su", "elf".getBytes(StandardCharsets.UTF_8), 04755, 0, 0, 1_500_000_008L)
                .file("usr/bin/wall", "elf".getBytes(StandardCharsets.UTF_8), 02755, 0, 5, 1_500_000_009L)
                .file("usr/bin/ping", "elf".getBytes(StandardCharsets.UTF_8), 0755, 0, 0, 1_500_000_010L)
                .xattr("security.capability", "\u0001\u0000\u0000\u0002\u0000\u0020\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000")
                .file("usr/bin/tagged", "t".getBytes(StandardCharsets.UTF_8), 0755, 0, 0, 1_500_000_010L)
                .xattr("user.comment", "hello")
                .xattr("trusted.note", "secret-ish")
                .dir("tmp", 01777, 0, 0, 1_500_000_011L)
                .symlink("etc/localtime", "/usr/share/zoneinfo/UTC", 0, 0, 1_500_000_012L)
                .symlink("usr/bin/sh", "dash", 0, 0, 1_500_000_013L)
                .dir("data", 0755, 0, 0, 1_500_000_014L)
                .file("data/" + "long-".repeat(40) + "name", "long".getBytes(StandardCharsets.UTF_8), 0644, 0, 0, 1_500_000_015L)
                .file("data/" + "deep/".repeat(1).replace("/", "") + "-ünïcødé-名前", "u".getBytes(StandardCharsets.UTF_8), 0644, 0, 0, 1_500_000_016L)
                .file("data/big", new byte[3 * 1024 * 1024 + 17], 0644, 0, 0, 1_500_000_017L));
    }

    @Test
    void hardlinksWithinALayerAndToAnEarlierLayer() {
        assertSame(
                new TarBuilder().dir("bin").file("bin/busybox", "bb", 0755).dir("lib").file("lib/libc.so", "libc"),
                new TarBuilder().dir("bin").hardlink("bin/ls", "bin/busybox").hardlink("bin/cat", "bin/busybox")
                        .dir("usr").file("usr/new", "n").hardlink("usr/new2", "usr/new")
                        .hardlink("lib/libc.so.6", "/lib/libc.so"));
    }

    @Test
    void devicesAndFifos() {
        assertSame(new TarBuilder().dir("dev")
                .charDevice("dev/null", 1, 3).charDevice("dev/tty5", 4, 5).blockDevice("dev/loop0", 7, 0)
                .blockDevice("dev/big", 259, 300000).fifo("dev/initctl"));
    }

    @Test
    void whiteoutsRemoveLowerFilesAndTrees() {
        assertSame(
                new TarBuilder().dir("a").file("a/keep", "k").file("a/gone", "g").dir("a/sub").file("a/sub/x", "x")
                        .dir("b").file("b/y", "y"),
                new TarBuilder().dir("a").whiteout("a/gone").whiteout("a/sub").whiteout("b").whiteout("a/never-existed"),
                new TarBuilder().dir("b").file("b/again", "again"));
    }

    @Test
    void opaqueDirectoriesKeepWhatTheLayerAddsInEitherOrder() {
        // umoci leaves y/sub with the time of its own cleanup (it deletes y/sub/lower after restoring the
        // directory's mtime); krgo gives it the mtime the layer declares, which is what the tar says.
        assertSameExcept(List.of("y/sub: mtime"),
                new TarBuilder().dir("x").file("x/old1", "1").dir("x/olddir").file("x/olddir/f", "f")
                        .dir("y").file("y/old", "o").dir("y/sub").file("y/sub/lower", "l"),
                new TarBuilder()
                        .dir("x").opaque("x").file("x/new", "new")
                        .dir("y").file("y/new", "new").dir("y/sub").file("y/sub/upper", "u").opaque("y"));
    }

    @Test
    void fileReplacedByDirectoryAndDirectoryByFile() {
        assertSame(
                new TarBuilder().file("f2d", "file").dir("d2f").file("d2f/inner", "i").dir("d2l").file("d2l/z", "z")
                        .file("f2l", "file"),
                new TarBuilder().dir("f2d").file("f2d/child", "c").file("d2f", "now a file")
                        .symlink("d2l", "f2d").symlink("f2l", "d2f"));
    }

    @Test
    void symlinkedDirectoriesAreFollowedInsideTheRoot() {
        assertSame(
                new TarBuilder().dir("usr").dir("usr/lib").file("usr/lib/a.so", "a").symlink("lib", "usr/lib")
                        .symlink("lib64", "/usr/lib").dir("opt").symlink("opt/up", "../usr"),
                new TarBuilder().file("lib/b.so", "b").file("lib64/c.so", "c").file("opt/up/lib/d.so", "d"));
    }

    @Test
    void redeclaredDirectoryKeepsContentsAndTakesNewMetadata() {
        assertSame(
                new TarBuilder().dir("etc", 0755, 0, 0, 1_000_000_000L).file("etc/a", "a")
                        .dir("srv", 0755, 0, 0, 1_000_000_000L).xattr("user.old", "1"),
                new TarBuilder().dir("etc", 0750, 7, 8, 1_200_000_000L).file("etc/b", "b")
                        .dir("srv", 0711, 0, 0, 1_100_000_000L).xattr("user.new", "2"));
    }

    @Test
    void fileRedeclaredInALaterLayerIsReplacedNotMerged() {
        assertSame(
                new TarBuilder().dir("bin").file("bin/tool", "version one, longer", 04755),
                new TarBuilder().dir("bin").file("bin/tool", "v2", 0700));
    }

    /** Small files are written on a second thread: names repeated, replaced and linked must still end as umoci's. */
    @Test
    void manySmallFilesWithRepeatsReplacementsAndLinksInOneLayer() {
        TarBuilder lower = new TarBuilder().dir("d").file("d/was-file", "lower").dir("d/was-dir").file("d/was-dir/x", "x");
        TarBuilder upper = new TarBuilder().dir("d");
        for (int i = 0; i < 3000; i++) {
            upper.file("d/f" + i, "content " + i, 0644);
        }
        upper.file("d/f7", "seven, again").file("d/was-file", "upper").file("d/was-dir", "now a file")
                .hardlink("d/link-to-f9", "d/f9").file("d/f9", "nine replaced after the link")
                .dir("d/f11").file("d/f11/inside", "f11 became a directory");
        assertSame(lower, upper);
    }

    /** A directory filled in this layer, then replaced by a symlink and by a file in the same layer. */
    @Test
    void directoryFilledThenReplacedInTheSameLayer() {
        assertSame(new TarBuilder().dir("x").file("x/old", "o").dir("y").file("y/old", "o"),
                new TarBuilder().dir("x").file("x/new1", "1").file("x/new2", "2").symlink("x", "y")
                        .dir("y").file("y/new", "n").file("y", "now a file"));
    }
}
