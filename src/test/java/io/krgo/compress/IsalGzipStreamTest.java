package io.krgo.compress;

import io.krgo.error.UnsafeImageException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ISA-L's decoder must behave exactly like the zlib one ({@link GzipStream}) on good and bad input. */
class IsalGzipStreamTest {

    @Test
    void isalIsInstalledAndPassesItsSelfTest() {
        assertThat(IsalGzipStream.usable())
                .as("libisal2 (Debian package libisal2) must be installed for this test: apt-get install libisal2")
                .isTrue();
    }

    private static byte[] gzip(byte[] data, int level) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(level);
            }
        }) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A source handing out at most {@code chunk} bytes per read, as a network stream does. */
    private static InputStream trickle(byte[] data, int chunk) {
        return new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    private static byte[] readAll(InputStream s, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[readSize];
        int n;
        while ((n = s.read(buf, 0, buf.length)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static String outcome(byte[] gz, boolean isal, int chunk, int readSize) {
        try (InputStream s = isal ? new IsalGzipStream(trickle(gz, chunk)) : new GzipStream(trickle(gz, chunk), 1 << 16)) {
            return "ok " + Arrays.hashCode(readAll(s, readSize));
        } catch (UnsafeImageException e) {
            return "unsafe: " + e.getMessage();
        } catch (IOException e) {
            return "io: " + e.getMessage();
        }
    }

    private static void assertAgree(byte[] gz) {
        long plainSize;
        try (InputStream s = new GzipStream(new ByteArrayInputStream(gz), 1 << 16)) {
            plainSize = s.readAllBytes().length;
        } catch (IOException | RuntimeException broken) {
            plainSize = 0;
        }
        for (int chunk : new int[] {1, 7, 4096, 1 << 20}) {
            for (int readSize : new int[] {1, 512, 1 << 17}) {
                if ((chunk < 4096 && gz.length > 50_000) || (readSize < 512 && plainSize > 50_000)) {
                    continue; // tiny reads and writes are covered by the small inputs
                }
                assertThat(outcome(gz, true, chunk, readSize)).as("chunk " + chunk + ", read " + readSize)
                        .isEqualTo(outcome(gz, false, chunk, readSize));
            }
        }
    }

    @Test
    void decodesLikeZlibWhateverTheChunkingAndCompressionLevel() throws Exception {
        Random random = new Random(1);
        byte[] noise = new byte[700_000];
        random.nextBytes(noise);
        byte[] text = "the quick brown fox jumps over the lazy dog\n".repeat(20_000).getBytes();
        for (int level : new int[] {0, 1, 6, 9}) {
            assertAgree(gzip(noise, level));
            assertAgree(gzip(text, level));
        }
        assertAgree(gzip(new byte[0], 6));
        assertAgree(gzip(Arrays.copyOf(text, 30_000), 6)); // small enough for byte-sized reads
        assertThat(outcome(gzip(text, 6), true, 4096, 512)).isEqualTo("ok " + Arrays.hashCode(text));
    }

    @Test
    void concatenatedMembersZeroPaddingAndGarbage() throws Exception {
        byte[] a = gzip("first member\n".getBytes(), 6);
        byte[] b = gzip("second member\n".repeat(1000).getBytes(), 1);
        assertAgree(concat(a, b));
        assertAgree(concat(a, b, a));
        assertAgree(concat(a, new byte[1024]));
        assertAgree(concat(a, new byte[] {0, 0, 0, 7}));
        assertAgree(concat(a, "garbage".getBytes()));
        assertAgree(concat(a, new byte[] {0x1f}));
        assertThat(outcome(concat(a, b, new byte[512]), true, 4096, 512)).startsWith("ok ");
        assertThat(outcome(concat(a, "garbage".getBytes()), true, 4096, 512)).contains("bad magic");
        assertThat(outcome(concat(a, new byte[] {0, 0, 0, 7}), true, 4096, 512)).contains("garbage after the last member");
        assertThat(outcome(concat(a, new byte[4]), true, 4096, 512)).startsWith("ok ");
    }

    @Test
    void everyTruncationAndEveryFlippedByteIsCaughtAsZlibCatchesIt() throws Exception {
        byte[] gz = gzip("some content that compresses a little, a little, a little\n".repeat(50).getBytes(), 6);
        for (int cut = 0; cut < gz.length; cut++) {
            byte[] truncated = Arrays.copyOf(gz, cut);
            assertThat(outcome(truncated, true, 64, 512)).as("cut at " + cut).doesNotStartWith("ok");
        }
        for (int i = 0; i < gz.length; i++) {
            byte[] flipped = gz.clone();
            flipped[i] ^= 0x20;
            String zlib = outcome(flipped, false, 64, 512);
            String isal = outcome(flipped, true, 64, 512);
            // Both must refuse or both accept the same bytes (a flip in the header's mtime or OS byte is harmless).
            assertThat(isal.startsWith("ok")).as("byte " + i + ": isal " + isal + " / zlib " + zlib).isEqualTo(zlib.startsWith("ok"));
            if (isal.startsWith("ok")) {
                assertThat(isal).isEqualTo(zlib);
            }
        }
    }

    @Test
    void notGzipAtAll() {
        assertThatThrownBy(() -> new IsalGzipStream(new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> readAll(new IsalGzipStream(new ByteArrayInputStream("plain tar".getBytes())), 512))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("bad magic");
    }
}
