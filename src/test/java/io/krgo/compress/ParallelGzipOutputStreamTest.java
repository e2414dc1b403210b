package io.krgo.compress;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class ParallelGzipOutputStreamTest {
    private static final int BLOCK = ParallelGzipOutputStream.DEFAULT_BLOCK;
    private static ExecutorService pool;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    /** Half random (incompressible), half repetitive text, so blocks both shrink and do not. */
    static byte[] data(int size) {
        byte[] b = new byte[size];
        Random r = new Random(size);
        for (int i = 0; i < size; i++) {
            b[i] = (i / 4096) % 2 == 0 ? (byte) r.nextInt() : (byte) ("krgo layer " + (i % 97)).charAt(i % 11);
        }
        return b;
    }

    static byte[] gzip(byte[] input, int threads, int level, int chunk) throws IOException {
        return gzip(input, threads, level, chunk, true);
    }

    static byte[] gzip(byte[] input, int threads, int level, int chunk, boolean allowIsal) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, pool, threads, level, BLOCK, allowIsal)) {
            for (int off = 0; off < input.length; off += chunk) {
                gz.write(input, off, Math.min(chunk, input.length - off));
            }
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7, 10 * 1024 * 1024})
    void producesOneValidGzipStreamThatGzipAccepts(int size) throws Exception {
        byte[] input = data(size);
        byte[] gz = gzip(input, 4, 6, 8191);

        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            assertThat(in.readAllBytes()).isEqualTo(input);
        }
        Path f = tmp.resolve("x.gz");
        Files.write(f, gz);
        Process t = new ProcessBuilder("gzip", "-t", f.toString()).redirectErrorStream(true).start();
        String msg = new String(t.getInputStream().readAllBytes());
        assertThat(t.waitFor()).as("gzip -t: " + msg).isZero();
        Process d = new ProcessBuilder("gzip", "-dc", f.toString()).start();
        byte[] out = d.getInputStream().readAllBytes();
        assertThat(d.waitFor()).isZero();
        assertThat(out).isEqualTo(input);
    }

    /** gzip -t, pigz -t and Java's GZIPInputStream all accept it and give the input back. */
    private void assertValidGzip(byte[] gz, byte[] input, String name) throws Exception {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            assertThat(in.readAllBytes()).as(name).isEqualTo(input);
        }
        Path f = tmp.resolve(name + ".gz");
        Files.write(f, gz);
        for (String tool : new String[] {"gzip", "pigz"}) {
            Process t;
            try {
                t = new ProcessBuilder(tool, "-t", f.toString()).redirectErrorStream(true).start();
            } catch (IOException missing) {
                throw new AssertionError(tool + " is needed for this test: apt-get install " + tool, missing);
            }
            String msg = new String(t.getInputStream().readAllBytes());
            assertThat(t.waitFor()).as(tool + " -t " + name + ": " + msg).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1000, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 3 * BLOCK + 7, 6 * 1024 * 1024 + 3})
    void isalAndZlibLevelsOneToThreeMakeValidGzipAtBlockBoundaries(int size) throws Exception {
        byte[] input = IsalDeflaterTest.mixed(size, size);
        for (int level = 1; level <= 3; level++) {
            for (boolean isal : new boolean[] {true, false}) {
                assertValidGzip(gzip(input, 2, level, 8191, isal), input, size + "-" + level + "-" + isal);
            }
        }
    }

    @Test
    void isalIsUsedForLevelsOneToThreeAndZlibIsTheFallback() throws Exception {
        assertThat(IsalDeflater.usable())
                .as("libisal2 (Debian package libisal2) must be installed for this test: apt-get install libisal2")
                .isTrue();
        byte[] input = data(4 * BLOCK);
        assertThat(gzip(input, 2, 1, 65536, true)).isNotEqualTo(gzip(input, 2, 1, 65536, false));
        // level 6 is zlib's either way
        assertThat(gzip(input, 2, 6, 65536, true)).isEqualTo(gzip(input, 2, 6, 65536, false));
    }

    @Test
    void isalOutputDoesNotDependOnThreadsOrWriteSizes() throws Exception {
        byte[] input = IsalDeflaterTest.mixed(7 * BLOCK + 5, 1);
        for (int level = 1; level <= 3; level++) {
            byte[] one = gzip(input, 1, level, 1000);
            assertThat(gzip(input, 4, level, 65536)).as("level %d", level).isEqualTo(one);
            assertThat(gzip(input, 2, level, 3 * BLOCK)).as("level %d", level).isEqualTo(one);
        }
    }

    @Test
    void isalLevelOneIsNotWorseThanZlibLevelOneOnText() throws Exception {
        byte[] text = new byte[8 * BLOCK];
        Random r = new Random(3);
        String[] words = {"krgo ", "layer ", "tar ", "gzip ", "the ", "registry ", "of ", "files\n", "image ", "digest "};
        for (int i = 0; i < text.length; ) {
            for (byte b : words[r.nextInt(words.length)].getBytes()) {
                if (i < text.length) {
                    text[i++] = b;
                }
            }
        }
        int isal = gzip(text, 2, 1, 65536, true).length;
        int zlib = gzip(text, 2, 1, 65536, false).length;
        assertThat(isal).isLessThan(text.length / 3).isLessThan(zlib * 11 / 10);
    }

    @Test
    void outputDoesNotDependOnThreadsOrWriteSizes() throws Exception {
        byte[] input = data(5 * BLOCK + 123);
        assertThat(gzip(input, 1, 6, 1000)).isEqualTo(gzip(input, 4, 6, 65536));
    }

    @Test
    void compressesRepetitiveData() throws Exception {
        byte[] input = new byte[4 * BLOCK];
        assertThat(gzip(input, 2, 6, 65536).length).isLessThan(input.length / 100);
    }

    @Test
    void storesIncompressibleBlocksAndStillCompressesTheRest() throws Exception {
        byte[] input = new byte[6 * BLOCK];
        new Random(7).nextBytes(input); // random: incompressible, stored
        byte[] text = "a layer of plain text, repeated\n".repeat(3 * BLOCK / 32 + 1).getBytes();
        System.arraycopy(text, 0, input, 3 * BLOCK, 3 * BLOCK); // the second half compresses well
        byte[] gz = gzip(input, 2, 1, 65536);

        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            assertThat(in.readAllBytes()).isEqualTo(input);
        }
        Path f = tmp.resolve("mixed.gz");
        Files.write(f, gz);
        Process t = new ProcessBuilder("gzip", "-t", f.toString()).redirectErrorStream(true).start();
        assertThat(t.waitFor()).as(new String(t.getInputStream().readAllBytes())).isZero();
        // stored random half: a few bytes of framing per stored block; the text half nearly vanishes
        // (deflated at level 1 the random half would also be ~0.03% larger, but at ~30 MB/s per core)
        assertThat(gz.length).isBetween(3 * BLOCK, 3 * BLOCK + 3 * BLOCK / 100);
        assertThat(ParallelGzipOutputStream.coding(input, BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.STORE);
        assertThat(ParallelGzipOutputStream.coding(text, BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.DEFLATE);
    }

    @Test
    void huffmanCodesHighEntropyTextAndTheStreamStaysWhole() throws Exception {
        // base64 of random bytes: ~6 bits of entropy per byte, no repeats worth finding: Huffman only
        byte[] random = new byte[3 * BLOCK];
        new Random(11).nextBytes(random);
        byte[] b64 = java.util.Base64.getMimeEncoder().encode(random);
        byte[] input = new byte[b64.length + 2 * BLOCK];
        System.arraycopy(b64, 0, input, 0, b64.length);
        byte[] text = "plain text\n".repeat(2 * BLOCK / 11 + 1).getBytes();
        System.arraycopy(text, 0, input, b64.length, 2 * BLOCK);
        assertThat(ParallelGzipOutputStream.coding(b64, BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.HUFFMAN);

        for (int threads : new int[] {1, 2, 4}) {
            byte[] gz = gzip(input, threads, 1, 65536);
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
                assertThat(in.readAllBytes()).as("round trip with %d threads", threads).isEqualTo(input);
            }
            Path f = tmp.resolve("b64-" + threads + ".gz");
            Files.write(f, gz);
            Process t = new ProcessBuilder("gzip", "-t", f.toString()).redirectErrorStream(true).start();
            assertThat(t.waitFor()).as(new String(t.getInputStream().readAllBytes())).isZero();
            // Huffman coding alone shrinks MIME base64 (6 of 8 bits, plus line breaks) to ~87% here, about
            // what level-1 LZ gives on it, several times faster; the text part nearly vanishes
            assertThat(gz.length).isLessThan(b64.length * 90 / 100 + BLOCK / 50);
        }
    }

    @Test
    void eachKindOfContentGetsTheCodingThatPaysOff() throws Exception {
        byte[] random = new byte[BLOCK];
        new Random(5).nextBytes(random);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(gz)) {
            z.write(data(4 * BLOCK));
        }
        byte[] hex = java.util.HexFormat.of().formatHex(random).getBytes();
        byte[] prose = "The quick brown fox jumps over the lazy dog; a layer holds files, and files hold text. "
                .repeat(BLOCK / 40).getBytes();
        assertThat(ParallelGzipOutputStream.coding(random, BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.STORE);
        assertThat(ParallelGzipOutputStream.coding(gz.toByteArray(), BLOCK))
                .isEqualTo(ParallelGzipOutputStream.Coding.STORE);
        assertThat(ParallelGzipOutputStream.coding(hex, BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.HUFFMAN);
        assertThat(ParallelGzipOutputStream.coding(prose, BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.DEFLATE);
        assertThat(ParallelGzipOutputStream.coding(new byte[BLOCK], BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.DEFLATE);
        assertThat(ParallelGzipOutputStream.coding(data(BLOCK), BLOCK)).isEqualTo(ParallelGzipOutputStream.Coding.DEFLATE);

        // hex Huffman-coded: about half its size (4 bits of 8), and whole
        byte[] out = gzip(hex, 2, 1, 65536);
        assertThat(out.length).isLessThan(hex.length * 55 / 100);
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(out))) {
            assertThat(in.readAllBytes()).isEqualTo(hex);
        }
    }
}
