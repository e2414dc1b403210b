package io.krgo.stream;

import io.krgo.error.IntegrityException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReadAheadStreamTest {
    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        return b;
    }

    @Test
    void passesEveryByteInOrderThroughSmallChunksAndOddReads() throws Exception {
        byte[] d = data(1_000_003);
        try (ReadAheadStream in = new ReadAheadStream(() -> new ByteArrayInputStream(d), 4096, 3, "t")) {
            byte[] out = new byte[d.length];
            int pos = 0;
            out[pos++] = (byte) in.read();
            int n;
            while ((n = in.read(out, pos, Math.min(777, out.length - pos))) > 0) {
                pos += n;
            }
            assertThat(pos).isEqualTo(d.length);
            assertThat(out).isEqualTo(d);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void aSourceErrorReachesTheReaderUnchangedAfterTheBytesBeforeIt() throws Exception {
        byte[] d = data(10_000);
        IntegrityException bad = new IntegrityException("digest mismatch");
        InputStream failing = new InputStream() {
            int left = d.length;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    throw bad;
                }
                int n = Math.min(len, left);
                System.arraycopy(d, d.length - left, b, off, n);
                left -= n;
                return n;
            }
        };
        try (ReadAheadStream in = new ReadAheadStream(() -> failing, 1024, 2, "t")) {
            assertThat(in.readNBytes(d.length)).isEqualTo(d);
            assertThatThrownBy(in::read).isSameAs(bad);
        }
        IOException io = new IOException("disk");
        try (ReadAheadStream in = new ReadAheadStream(() -> {
            throw io;
        }, 1024, 2, "t")) {
            assertThatThrownBy(in::read).isSameAs(io);
        }
    }

    @Test
    void closingEarlyStopsTheReaderAndClosesTheSource() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }

            @Override
            public void close() {
                closed.countDown();
            }
        };
        ReadAheadStream in = new ReadAheadStream(() -> endless, 1024, 2, "t");
        assertThat(in.read()).isEqualTo(0);
        in.close();
        assertThat(closed.await(5, TimeUnit.SECONDS)).as("source closed").isTrue();
        assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }
}
