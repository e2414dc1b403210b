package io.krgo.tar;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pull reads some 10,000 entries per image: reading and skipping them allocates little more than the
 * entries themselves (no buffer per entry, nothing per data block).
 */
class TarReaderAllocationTest {
    private static final int ENTRIES = 10_000;

    private static byte[] archive() {
        TarBytes t = new TarBytes();
        byte[] data = new byte[3000];
        for (int i = 0; i < ENTRIES; i++) {
            String name = "usr/lib/file-" + i;
            t.entry(TarBytes.header(name, '0', data.length), data);
        }
        return t.end().bytes();
    }

    private static long readAll(byte[] tar, boolean readData) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        byte[] buf = new byte[8192];
        long entries = 0;
        while (r.next() != null) {
            entries++;
            if (readData) {
                while (r.read(buf, 0, buf.length) >= 0) {
                    // the caller's buffer only
                }
            }
        }
        return entries;
    }

    @Test
    void aFewHundredBytesPerEntry() throws IOException {
        byte[] tar = archive();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int warm = 0; warm < 3; warm++) {
            readAll(tar, warm % 2 == 0);
        }
        for (boolean readData : new boolean[] {true, false}) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long entries = readAll(tar, readData);
            long perEntry = (threads.getCurrentThreadAllocatedBytes() - before) / ENTRIES;
            assertThat(entries).isEqualTo(ENTRIES);
            // TarEntry, its name, uname and gname, a TarTime: ~200 bytes; a 512-byte buffer per entry would show.
            assertThat(perEntry).as("bytes allocated per entry, data %s", readData ? "read" : "skipped").isLessThan(400);
        }
    }
}
