package io.krgo.compress;

import com.github.luben.zstd.ZstdOutputStream;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.MediaTypes;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecompressionTest {
    private static final byte[] DATA = new byte[3_000_000];

    static {
        new Random(42).nextBytes(DATA);
        Arrays.fill(DATA, 1_000_000, 2_000_000, (byte) 'a');
    }

    private static byte[] gzip(byte[] b) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(b);
        }
        return bos.toByteArray();
    }

    private static byte[] zstd(byte[] b) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(bos)) {
            z.write(b);
        }
        return bos.toByteArray();
    }

    private static byte[] read(byte[] blob, String mediaType) throws Exception {
        /* A stream that returns few bytes per read, like a network socket, and 0 from available(). */
        InputStream trickle = new ByteArrayInputStream(blob) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1000));
            }

            @Override
            public synchronized int available() {
                return 0;
            }
        };
        try (InputStream in = Decompression.open(trickle, mediaType)) {
            return in.readAllBytes();
        }
    }

    @Test
    void decodesByMediaTypeAndByMagicBytes() throws Exception {
        assertThat(read(gzip(DATA), MediaTypes.OCI_LAYER_GZIP)).isEqualTo(DATA);
        assertThat(read(gzip(DATA), null)).isEqualTo(DATA);
        assertThat(read(gzip(DATA), MediaTypes.OCI_LAYER)).as("mislabelled gzip").isEqualTo(DATA);
        assertThat(read(zstd(DATA), MediaTypes.OCI_LAYER_ZSTD)).isEqualTo(DATA);
        assertThat(read(zstd(DATA), "application/octet-stream")).isEqualTo(DATA);
        assertThat(read(DATA, MediaTypes.OCI_LAYER)).isEqualTo(DATA);
    }

    @Test
    void readsEveryMemberOfAConcatenatedGzip() throws Exception {
        byte[] a = gzip(Arrays.copyOfRange(DATA, 0, 1_500_000));
        byte[] b = gzip(Arrays.copyOfRange(DATA, 1_500_000, DATA.length));
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertThat(read(both, MediaTypes.DOCKER_LAYER_GZIP)).isEqualTo(DATA);
    }

    @Test
    void truncatedOrCorruptStreamsAreErrors() throws Exception {
        byte[] gz = gzip(DATA);
        assertThatThrownBy(() -> read(Arrays.copyOf(gz, gz.length - 4), null))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> read(Arrays.copyOf(gz, gz.length / 2), null))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("truncated");
        byte[] badCrc = gz.clone();
        badCrc[badCrc.length - 6] ^= 1;
        assertThatThrownBy(() -> read(badCrc, null)).isInstanceOf(UnsafeImageException.class).hasMessageContaining("CRC");
        byte[] zs = zstd(DATA);
        assertThatThrownBy(() -> read(Arrays.copyOf(zs, zs.length / 2), MediaTypes.OCI_LAYER_ZSTD))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("zstd");
    }
}
