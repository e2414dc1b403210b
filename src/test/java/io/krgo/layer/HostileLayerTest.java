package io.krgo.layer;

import io.krgo.error.KrgoException;
import io.krgo.error.UnsafeImageException;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile layers. Each pull is forced over an existing DIR; next to DIR lie a sentinel directory and a
 * file. Nothing outside DIR may change; a refused image must leave the previous DIR intact and no
 * staging directory behind; a clamped name must land inside DIR.
 */
class HostileLayerTest {
    @TempDir
    Path tmp;
    Path work;
    Path dir;
    Path sentinel;

    @BeforeEach
    void setUp() throws Exception {
        work = tmp.resolve("work");
        dir = work.resolve("rootfs");
        sentinel = work.resolve("sentinel");
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/previous"), "previous pull");
        Files.createDirectories(sentinel);
        Files.writeString(sentinel.resolve("file"), "do not touch");
        Files.writeString(work.resolve("outside"), "do not touch");
    }

    private TreeSnapshot outside() {
        return TreeSnapshot.of(work, "rootfs", ".rootfs.krgo"); // DIR and its metadata, which a pull writes
    }

    private void pull(Blob... layers) {
        new RootfsWriter(new BlobStore(tmp.resolve("cache")))
                .write(InMemoryImage.of(layers), dir, RootfsOptions.defaults().withForce(true), null, null);
    }

    /** The pull must fail with {@code type}, change nothing, and leave no staging directory. */
    private void assertRefused(Class<? extends KrgoException> type, String message, Blob... layers) throws Exception {
        TreeSnapshot before = outside();
        TreeSnapshot dirBefore = TreeSnapshot.of(dir);
        assertThatThrownBy(() -> pull(layers)).isInstanceOf(type).hasMessageContaining(message);
        assertThat(outside().diff(before)).isEmpty();
        assertThat(TreeSnapshot.of(dir).diff(dirBefore)).isEmpty();
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("rootfs", "sentinel", "outside");
        }
    }

    /** The pull must succeed with every write inside DIR. */
    private void assertContained(Blob... layers) {
        TreeSnapshot before = outside();
        pull(layers);
        assertThat(outside().diff(before)).isEmpty();
        assertThat(Files.exists(dir.resolve("etc/previous"))).as("forced pull replaced the old tree").isFalse();
    }

    private static Blob tar(TarBuilder t) {
        return Blob.tar(t.bytes());
    }

    @Test
    void dotDotNamesAreClampedInsideTheRoot() throws Exception {
        assertContained(tar(new TarBuilder().raw("../outside", "pwned").raw("../../sentinel/file", "pwned")
                .raw("a/../../../../x", "x")));
        assertThat(Files.readString(dir.resolve("outside"))).isEqualTo("pwned");
        assertThat(Files.readString(dir.resolve("sentinel/file"))).isEqualTo("pwned");
        assertThat(Files.exists(dir.resolve("x"))).isTrue();
    }

    @Test
    void absoluteNamesAreRelativeToTheRoot() {
        String abs = sentinel.resolve("file").toString();
        assertContained(tar(new TarBuilder().raw(abs, "pwned").raw("/etc/passwd", "root::0:0")));
        assertThat(Files.exists(dir.resolve(abs.substring(1)))).isTrue();
        assertThat(Files.exists(dir.resolve("etc/passwd"))).isTrue();
    }

    @Test
    void relativeSymlinkEscapesStayInside() {
        assertContained(tar(new TarBuilder().symlink("esc", "../../../../../../" + sentinel.toString().substring(1))
                .raw("esc/pwned", "x").symlink("dots", "../..").raw("dots/outside", "x")));
        assertThat(Files.exists(dir.resolve(sentinel.toString().substring(1)).resolve("pwned"))).isTrue();
    }

    @Test
    void absoluteSymlinkThroughAnEarlierLayerStaysInside() {
        assertContained(
                tar(new TarBuilder().symlink("abs", sentinel.toString()).symlink("work", work.toString())),
                tar(new TarBuilder().raw("abs/pwned", "x").raw("work/outside", "x").raw("abs/file", "x")));
        assertThat(Files.exists(dir.resolve(sentinel.toString().substring(1)).resolve("pwned"))).isTrue();
    }

    @Test
    void whiteoutThroughASymlinkDoesNotRemoveOutside() {
        assertContained(
                tar(new TarBuilder().symlink("abs", sentinel.toString()).symlink("rel", "../../sentinel")),
                tar(new TarBuilder().whiteout("abs/file").whiteout("rel/file").opaque("abs")));
    }

    @Test
    void hardlinkToOutsideOrMissingTargetIsRefused() throws Exception {
        assertRefused(UnsafeImageException.class, "does not exist",
                tar(new TarBuilder().hardlink("h", sentinel.resolve("file").toString())));
        assertRefused(UnsafeImageException.class, "does not exist",
                tar(new TarBuilder().hardlink("h", "../../sentinel/file")));
        assertRefused(UnsafeImageException.class, "does not exist",
                tar(new TarBuilder().symlink("s", "/")), tar(new TarBuilder().hardlink("h", "s" + sentinel.resolve("file"))));
        assertRefused(UnsafeImageException.class, "does not exist", tar(new TarBuilder().hardlink("h", "missing")));
    }

    @Test
    void hardlinkToADirectoryIsRefused() throws Exception {
        assertRefused(UnsafeImageException.class, "directory", tar(new TarBuilder().dir("d").hardlink("h", "d")));
    }

    @Test
    void whiteoutsOfDotAndDotDotAreRefused() throws Exception {
        assertRefused(UnsafeImageException.class, "names no file", tar(new TarBuilder().dir("a").raw("a/.wh...", "")));
        assertRefused(UnsafeImageException.class, "names no file", tar(new TarBuilder().dir("a").raw("a/.wh..", "")));
        assertRefused(UnsafeImageException.class, "names no file", tar(new TarBuilder().raw(".wh.", "")));
    }

    @Test
    void entryBelowARegularFileIsRefused() throws Exception {
        assertRefused(UnsafeImageException.class, "not a directory",
                tar(new TarBuilder().raw("f", "file").raw("f/x", "x")));
    }

    @Test
    void overlongNameIsRefused() throws Exception {
        assertRefused(UnsafeImageException.class, "PATH_MAX", tar(new TarBuilder().raw("d/".repeat(2100) + "f", "x")));
    }

    @Test
    void truncatedTarIsRefused() throws Exception {
        byte[] full = new TarBuilder().dir("a").file("a/one", "1".repeat(2000)).file("a/two", "2").bytes();
        // Cut at a record boundary after the first file: Commons Compress alone would call this a clean end.
        byte[] cutAtHeader = Arrays.copyOf(full, 512 * 2 + 2048);
        assertRefused(UnsafeImageException.class, "truncated", Blob.tar(cutAtHeader));
        byte[] cutInData = Arrays.copyOf(full, 512 * 2 + 700);
        assertRefused(UnsafeImageException.class, "truncated", Blob.tar(cutInData));
    }

    @Test
    void truncatedGzipIsRefused() throws Exception {
        byte[] gz = new TarBuilder().dir("a").file("a/data", "x".repeat(100_000)).gzipBytes();
        assertRefused(UnsafeImageException.class, "truncated", Blob.gzip(Arrays.copyOf(gz, gz.length - 30)));
    }

    @Test
    void headerSizeLargerThanTheDataIsRefused() throws Exception {
        byte[] t = new TarBuilder().file("f", "tiny").bytes();
        // Rewrite the size field (offset 124, 12 octal bytes) to claim 1 MiB, keeping the checksum valid.
        byte[] size = String.format("%011o\0", 1 << 20).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, t, 124, 12);
        Arrays.fill(t, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += t[i] & 0xff;
        }
        byte[] chk = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chk, 0, t, 148, 8);
        assertRefused(UnsafeImageException.class, "truncated", Blob.tar(t));
    }

    @Test
    void corruptBlobIsRefusedByItsDigest() throws Exception {
        TreeSnapshot before = outside();
        assertThatThrownBy(() -> new RootfsWriter(new BlobStore(tmp.resolve("cache"))).write(
                InMemoryImage.of(0, Blob.tar(new TarBuilder().file("f", "x").bytes())), dir,
                RootfsOptions.defaults().withForce(true), null, null))
                .isInstanceOf(io.krgo.error.IntegrityException.class).hasMessageContaining("digest mismatch");
        assertThat(outside().diff(before)).isEmpty();
        assertThat(Files.readString(dir.resolve("etc/previous"))).isEqualTo("previous pull");
    }

    @Test
    void decompressionBombIsStoppedAtTheLimit() throws Exception {
        byte[] gz = new TarBuilder().file("zeros", new byte[4 << 20], 0644, 0, 0, TarBuilder.DEFAULT_MTIME).gzipBytes();
        TreeSnapshot before = outside();
        assertThatThrownBy(() -> new RootfsWriter(new BlobStore(tmp.resolve("cache"))).write(InMemoryImage.of(Blob.gzip(gz)),
                dir, RootfsOptions.defaults().withForce(true)
                        .withApply(ApplyOptions.defaults().withMaxExpandedBytes(1 << 20)), null, null))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("decompression bomb");
        assertThat(outside().diff(before)).isEmpty();
        assertThat(Files.readString(dir.resolve("etc/previous"))).isEqualTo("previous pull");
    }
}
