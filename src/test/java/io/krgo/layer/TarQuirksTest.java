package io.krgo.layer;

import io.krgo.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TarQuirksTest {
    @TempDir
    Path tmp;

    /** Rewrites the type flag of the header at {@code offset}, keeping the checksum valid. */
    private static void retype(byte[] t, int offset, char type) {
        t[offset + 156] = (byte) type;
        java.util.Arrays.fill(t, offset + 148, offset + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += t[offset + i] & 0xff;
        }
        System.arraycopy(String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII), 0, t, offset + 148, 8);
    }

    /**
     * A symlink header that declares a size has no data after it, as Go's archive/tar (containerd, docker),
     * bsdtar and Python's tarfile read it: the next block is the next header.
     */
    @Test
    void aSymlinkDeclaringASizeHasNoDataAfterIt() throws Exception {
        byte[] built = new TarBuilder().file("a", "content").file("b", "x".repeat(600)).bytes();
        // "b" becomes a symlink whose header still declares 600 bytes; its data blocks are cut out
        byte[] t = new byte[built.length - 1024];
        System.arraycopy(built, 0, t, 0, 1536);
        System.arraycopy(built, 1536 + 1024, t, 1536, built.length - 1536 - 1024);
        retype(t, 1024, '2');
        System.arraycopy("target\0".getBytes(StandardCharsets.US_ASCII), 0, t, 1024 + 157, 7);
        retype(t, 1024, '2');
        Path root = Files.createDirectories(tmp.resolve("r"));
        LayerApplier applier = new LayerApplier(root, ApplyOptions.defaults());
        LayerResult r = applier.apply(new ByteArrayInputStream(t));
        applier.finish();
        assertThat(r.stats().entries()).isEqualTo(2);
        assertThat(Files.readSymbolicLink(root.resolve("b")).toString()).isEqualTo("target");
        assertThat(Files.readString(root.resolve("a"))).isEqualTo("content");
    }

    @Test
    void trailingGarbageAfterTheEndMarkerIsRead() throws Exception {
        byte[] t = new TarBuilder().file("a", "content").bytes();
        byte[] padded = java.util.Arrays.copyOf(t, t.length + 4096);
        Path root = Files.createDirectories(tmp.resolve("r"));
        LayerApplier applier = new LayerApplier(root, ApplyOptions.defaults());
        ByteArrayInputStream in = new ByteArrayInputStream(padded);
        applier.applyBlob(in, io.krgo.image.MediaTypes.OCI_LAYER);
        assertThat(in.available()).as("read to the end, so a verifying stream checks its digest").isZero();
    }
}
