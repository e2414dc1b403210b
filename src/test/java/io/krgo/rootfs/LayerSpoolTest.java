package io.krgo.rootfs;

import io.krgo.error.IntegrityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayerSpoolTest {
    @TempDir
    Path dir;

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    private long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void consumerReadsExactlyWhatTheProducerWroteAcrossSegmentsAndEveryFileIsGone() throws Exception {
        byte[] data = random((int) (2.5 * LayerSpool.SEGMENT) + 12345);
        LayerSpool spool = new LayerSpool(dir, "l", 8 * LayerSpool.SEGMENT);
        Thread producer = new Thread(() -> spool.produce(new ByteArrayInputStream(data), () -> { }));
        producer.start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = spool.open()) {
            byte[] small = new byte[512]; // as the tar reader asks
            int n;
            while ((n = in.read(small)) >= 0) {
                got.write(small, 0, n);
            }
        }
        producer.join();
        assertThat(got.toByteArray()).isEqualTo(data);
        assertThat(filesIn(dir)).as("segments deleted once read").isZero();
    }

    @Test
    void producerStaysWithinItsCapUntilTheConsumerReads() throws Exception {
        int size = 6 * (int) LayerSpool.SEGMENT;
        AtomicLong served = new AtomicLong();
        InputStream source = new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                long left = size - served.get();
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                served.addAndGet(n);
                return n;
            }
        };
        LayerSpool spool = new LayerSpool(dir, "l", 2 * LayerSpool.SEGMENT);
        Thread producer = new Thread(() -> spool.produce(source, () -> { }));
        producer.start();
        Thread.sleep(500); // the producer runs ahead as far as it may, then waits
        assertThat(served.get()).as("bytes taken from the source before anyone read")
                .isLessThanOrEqualTo(2 * LayerSpool.SEGMENT + (1 << 20));
        assertThat(filesIn(dir)).isLessThanOrEqualTo(3);
        long total = 0;
        try (InputStream in = spool.open()) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
            }
        }
        producer.join();
        assertThat(total).isEqualTo(size);
    }

    @Test
    void aFailingVerificationReachesTheConsumerInsteadOfEof() throws Exception {
        byte[] data = random(100_000);
        LayerSpool spool = new LayerSpool(dir, "l", LayerSpool.SEGMENT);
        Thread producer = new Thread(() -> spool.produce(new ByteArrayInputStream(data), () -> {
            throw new IntegrityException("layer diff_id mismatch: test");
        }));
        producer.start();
        try (InputStream in = spool.open()) {
            assertThatThrownBy(() -> in.transferTo(OutputStreamHolder.NULL))
                    .isInstanceOf(IntegrityException.class).hasMessageContaining("diff_id mismatch");
        }
        producer.join();
    }

    @Test
    void aSourceErrorReachesTheConsumerAfterTheBytesBeforeIt() throws Exception {
        byte[] data = random(300_000);
        InputStream failing = new InputStream() {
            private final InputStream in = new ByteArrayInputStream(data);

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, Math.min(len, 100_000));
                if (n < 0) {
                    throw new IOException("connection reset");
                }
                return n;
            }
        };
        LayerSpool spool = new LayerSpool(dir, "l", LayerSpool.SEGMENT);
        Thread producer = new Thread(() -> spool.produce(failing, () -> { }));
        producer.start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = spool.open()) {
            byte[] buf = new byte[1000];
            assertThatThrownBy(() -> {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    got.write(buf, 0, n);
                }
            }).hasMessageContaining("connection reset");
        }
        producer.join();
        assertThat(got.toByteArray()).isEqualTo(data);
    }

    @Test
    void closingStopsAWaitingProducerAndAWaitingConsumer() throws Exception {
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }
        };
        LayerSpool spool = new LayerSpool(dir, "l", LayerSpool.SEGMENT);
        boolean[] result = {true};
        Thread producer = new Thread(() -> result[0] = spool.produce(endless, () -> { }));
        producer.start();
        Thread.sleep(200);
        spool.close();
        producer.join(5000);
        assertThat(producer.isAlive()).isFalse();
        assertThat(result[0]).as("a closed spool's producer reports it did not finish").isFalse();
    }

    private static final class OutputStreamHolder {
        static final java.io.OutputStream NULL = java.io.OutputStream.nullOutputStream();
    }
}
