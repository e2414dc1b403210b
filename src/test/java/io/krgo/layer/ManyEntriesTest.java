package io.krgo.layer;

import io.krgo.image.Digest;
import io.krgo.store.BlobStore;
import io.krgo.testing.KrgoCli;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One layer with 100,000 entries (about 100 MB of tar) pulled by a JVM whose heap is 64 MiB: it works,
 * and neither the blob nor the tar is ever held in memory.
 */
class ManyEntriesTest {
    private static final int DIRS = 100;
    private static final int FILES_PER_DIR = 1000; // with the directories: 100,100 entries
    private static final String HEAP = "-Xmx64m";

    @TempDir
    Path tmp;

    @Test
    void hundredThousandEntriesInOneLayerWithABoundedHeap() throws Exception {
        Path gz = tmp.resolve("layer.tar.gz");
        MessageDigest diff = MessageDigest.getInstance("SHA-256");
        try (OutputStream file = Files.newOutputStream(gz);
             GZIPOutputStream gzip = new GZIPOutputStream(file, 1 << 16);
             DigestOutputStream hashed = new DigestOutputStream(gzip, diff);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(hashed, StandardCharsets.UTF_8.name())) {
            FileTime mtime = FileTime.from(Instant.ofEpochSecond(1_600_000_000L));
            for (int d = 0; d < DIRS; d++) {
                TarArchiveEntry dir = new TarArchiveEntry("d" + d + "/");
                dir.setModTime(mtime);
                tar.putArchiveEntry(dir);
                tar.closeArchiveEntry();
                for (int f = 0; f < FILES_PER_DIR; f++) {
                    byte[] content = (d + "/" + f + "\n").getBytes(StandardCharsets.UTF_8);
                    TarArchiveEntry e = new TarArchiveEntry("d" + d + "/f" + f);
                    e.setSize(content.length);
                    e.setModTime(mtime);
                    tar.putArchiveEntry(e);
                    tar.write(content);
                    tar.closeArchiveEntry();
                }
            }
        }
        Digest diffId = new Digest("sha256", HexFormat.of().formatHex(diff.digest()));
        BlobStore source = new BlobStore(tmp.resolve("source"));
        Digest digest;
        try (InputStream in = Files.newInputStream(gz)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream again = Files.newInputStream(gz)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = again.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                }
            }
            digest = new Digest("sha256", HexFormat.of().formatHex(sha.digest()));
            source.put(digest, Files.size(gz), in);
        }

        Path dir = tmp.resolve("rootfs");
        Process p = new ProcessBuilder(KrgoCli.javaCommand(List.of(HEAP), ManyEntriesChild.class,
                source.root().toString(), digest.toString(), String.valueOf(Files.size(gz)), diffId.toString(),
                dir.toString(), tmp.resolve("cache").toString()))
                .redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("bytes ");
        long tarBytes = Long.parseLong(out.lines().filter(l -> l.startsWith("bytes ")).findFirst().orElseThrow().substring(6));
        assertThat(tarBytes).as("the tar is larger than the child's whole heap").isGreaterThan(64L << 20);

        long files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).count();
        }
        assertThat(files).isEqualTo((long) DIRS * FILES_PER_DIR);
        assertThat(Files.readString(dir.resolve("d99/f999"))).isEqualTo("99/999\n");
        assertThat(Files.readString(dir.resolve("d0/f0"))).isEqualTo("0/0\n");
    }
}
