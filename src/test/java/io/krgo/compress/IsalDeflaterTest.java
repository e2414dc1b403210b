package io.krgo.compress;

import io.krgo.testing.KrgoCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ISA-L's deflate side: every block inflates back, blocks chain through their dictionaries, output is stable. */
class IsalDeflaterTest {
    private static final int BLOCK = 256 * 1024;

    @Test
    void isalIsInstalledAndPassesItsSelfTest() {
        assertThat(IsalDeflater.usable())
                .as("libisal2 (Debian package libisal2) must be installed for this test: apt-get install libisal2")
                .isTrue();
    }

    /** Random, zeros, repeated text and base64 in 20 KiB stripes: every coding ISA-L picks. */
    static byte[] mixed(int size, long seed) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        byte[] line = "usr/share/doc/krgo/changelog: a line that repeats with a number ".getBytes();
        byte[] raw = new byte[3];
        for (int i = 0; i < size; i++) {
            switch ((i / 20_000) % 4) {
                case 0 -> b[i] = (byte) r.nextInt();
                case 1 -> b[i] = 0;
                case 2 -> b[i] = (i % 100 < line.length) ? line[i % 100] : (byte) ('0' + (i / 100) % 10);
                default -> {
                    if (i % 4 == 0) {
                        r.nextBytes(raw);
                    }
                    b[i] = java.util.Base64.getEncoder().encode(raw)[i % 4];
                }
            }
        }
        return b;
    }

    private static byte[] deflate(IsalDeflater d, byte[] data, int length, byte[] dict, int dictEnd, boolean last) {
        int n = d.deflate(data, length, dict, dictEnd, last);
        byte[] out = new byte[n];
        d.copyOutput(out, n);
        return out;
    }

    static byte[] inflateRaw(byte[] raw, int expectedSize) throws DataFormatException {
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(raw);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            while (!inf.finished()) {
                int k = inf.inflate(buf);
                assertThat(k > 0 || inf.finished() || !inf.needsInput()).as("stream ended before its final block").isTrue();
                out.write(buf, 0, k);
                assertThat(out.size()).isLessThanOrEqualTo(expectedSize);
            }
            assertThat(inf.getRemaining()).as("bytes after the final block").isZero();
            return out.toByteArray();
        } finally {
            inf.end();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 100, 32 * 1024 - 1, 32 * 1024, 64 * 1024 + 1, BLOCK, BLOCK + 1, 3 * 1024 * 1024 + 5})
    void aFinalBlockInflatesToItsInputAtEveryLevel(int size) throws Exception {
        byte[] input = mixed(size, size);
        for (int level = 1; level <= IsalDeflater.MAX_LEVEL; level++) {
            try (IsalDeflater d = new IsalDeflater(level, BLOCK)) {
                byte[] raw = deflate(d, input, size, null, 0, true);
                assertThat(inflateRaw(raw, size)).as("level %d, %d bytes", level, size).isEqualTo(input);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {32 * 1024, 100_000, BLOCK})
    void blocksChainedThroughTheirDictionariesFormOneStream(int block) throws Exception {
        byte[] input = mixed(5 * block + 777, block);
        // the second half repeats the first: matches reach back across block boundaries, into the dictionary
        System.arraycopy(input, 0, input, input.length / 2, input.length / 2);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        try (IsalDeflater d = new IsalDeflater(1, block)) {
            for (int off = 0; off < input.length; off += block) {
                int len = Math.min(block, input.length - off);
                boolean last = off + len == input.length;
                byte[] piece = Arrays.copyOfRange(input, off, off + len);
                byte[] out = deflate(d, piece, len, off == 0 ? null : input, off, last);
                if (!last) {
                    // a sync flush ends it: an empty stored block, so the next block starts on a byte boundary
                    assertThat(Arrays.copyOfRange(out, out.length - 4, out.length))
                            .containsExactly(0, 0, 0xff, 0xff);
                }
                joined.writeBytes(out);
            }
        }
        assertThat(inflateRaw(joined.toByteArray(), input.length)).isEqualTo(input);
    }

    @Test
    void theDictionaryIsUsed() throws Exception {
        byte[] text = mixed(BLOCK, 3);
        try (IsalDeflater d = new IsalDeflater(1, BLOCK)) {
            byte[] tail = Arrays.copyOfRange(text, BLOCK - 30_000, BLOCK);
            byte[] without = deflate(d, tail, tail.length, null, 0, true);
            byte[] with = deflate(d, tail, tail.length, text, BLOCK, true); // the same bytes are in the history
            assertThat(with.length).isLessThan(without.length / 20);
            Inflater inf = new Inflater(true);
            try {
                inf.setDictionary(text, BLOCK - 32 * 1024, 32 * 1024);
                inf.setInput(with);
                byte[] out = new byte[tail.length];
                int n = 0;
                while (n < out.length && !inf.finished()) {
                    n += inf.inflate(out, n, out.length - n);
                }
                assertThat(out).isEqualTo(tail);
            } finally {
                inf.end();
            }
        }
    }

    @Test
    void incompressibleDataGrowsOnlyByFraming() throws Exception {
        byte[] random = new byte[2 * 1024 * 1024];
        new Random(9).nextBytes(random);
        try (IsalDeflater d = new IsalDeflater(1, 64 * 1024)) { // a small buffer: the output must grow
            byte[] raw = deflate(d, random, random.length, null, 0, true);
            assertThat(raw.length).isBetween(random.length, random.length + random.length / 100);
            assertThat(inflateRaw(raw, random.length)).isEqualTo(random);
        }
    }

    @Test
    void outputIsDeterministicAcrossCallsAndInstances() {
        byte[] input = mixed(BLOCK, 11);
        byte[] dict = mixed(BLOCK, 12);
        for (int level = 1; level <= IsalDeflater.MAX_LEVEL; level++) {
            byte[] first;
            try (IsalDeflater d = new IsalDeflater(level, BLOCK)) {
                first = deflate(d, input, BLOCK, dict, BLOCK, false);
                deflate(d, dict, BLOCK, null, 0, true); // something else in between
                assertThat(deflate(d, input, BLOCK, dict, BLOCK, false)).isEqualTo(first);
            }
            try (IsalDeflater d = new IsalDeflater(level, 1024)) {
                assertThat(deflate(d, input, BLOCK, dict, BLOCK, false)).isEqualTo(first);
            }
        }
    }

    @Test
    void levelsOutsideIsalsRangeAreRefused() {
        assertThatThrownBy(() -> new IsalDeflater(0, BLOCK)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IsalDeflater(4, BLOCK)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void turnedOffByTheSystemPropertyInAFreshJvm() throws Exception {
        for (String value : new String[] {"false", "true"}) {
            Process p = new ProcessBuilder(KrgoCli.javaCommand(List.of("-Xmx64m", "-Dkrgo.isal=" + value),
                    IsalUsableChild.class))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).isEqualTo("isal deflate " + !"false".equals(value) + ", inflate " + !"false".equals(value));
        }
    }
}
