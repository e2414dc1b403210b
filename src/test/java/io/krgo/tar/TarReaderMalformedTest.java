package io.krgo.tar;

import io.krgo.error.UnsafeImageException;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken archives, real ones cut or corrupted and hand-made ones: each a one-line UnsafeImageException. */
class TarReaderMalformedTest {
    @TempDir
    Path tmp;

    private static List<TarTestSupport.Read> read(byte[] tar) throws IOException {
        return TarTestSupport.readAll(new ByteArrayInputStream(tar));
    }

    private static void assertRefused(byte[] tar, String message) {
        assertThatThrownBy(() -> read(tar)).isInstanceOf(UnsafeImageException.class).hasMessage(message);
    }

    /** GNU tar's PAX archive of one 1000-byte file with a long name (so a PAX record precedes it). */
    private byte[] realTar() throws IOException {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.write(src.resolve("f".repeat(120)), new byte[1000]);
        Path tar = tmp.resolve("real.tar");
        Tools.run("tar", "--format=posix", "-cf", tar.toString(), "-C", src.toString(), "f".repeat(120));
        return Files.readAllBytes(tar);
    }

    @Test
    void badChecksum() throws IOException {
        byte[] tar = realTar();
        tar[1024 + 100] = '7'; // the file's mode, after the PAX header and its data
        assertRefused(tar, "layer tar entry '" + "f".repeat(100) + "': bad header checksum");
        byte[] hand = new TarBytes().file("a\nb\u00e9", "x").end().bytes();
        hand[148] = '1';
        assertRefused(hand, "layer tar entry 'a\\x0ab\u00e9': bad header checksum");
    }

    @Test
    void signedChecksumOfOldWritersAccepted() throws IOException {
        byte[] name = {'n', (byte) 0xe9};
        byte[] h = TarBytes.header(name, (byte) '0', 1, b -> { });
        int signed = 0;
        for (int i = 0; i < 512; i++) {
            signed += i >= 148 && i < 156 ? ' ' : h[i];
        }
        TarBytes.octal(h, 148, 7, signed);
        List<TarTestSupport.Read> r = read(new TarBytes().entry(h, new byte[] {'x'}).end().bytes());
        assertThat(r.get(0).entry().name()).isEqualTo(name);
    }

    @Test
    void truncations() throws IOException {
        byte[] tar = realTar();
        String name = "f".repeat(120);
        assertRefused(new byte[0], "layer tar is truncated (no end-of-archive marker)");
        assertRefused(Arrays.copyOf(tar, 300), "layer tar is truncated inside entry './PaxHeaders/" + "f".repeat(87) + "'");
        assertRefused(Arrays.copyOf(tar, 512 + 10), "layer tar is truncated inside entry './PaxHeaders/" + "f".repeat(87) + "'");
        assertRefused(Arrays.copyOf(tar, 1024), "layer tar is truncated inside entry './PaxHeaders/" + "f".repeat(87) + "'");
        assertRefused(Arrays.copyOf(tar, 1024 + 200), "layer tar is truncated inside entry '" + "f".repeat(100) + "'");
        assertRefused(Arrays.copyOf(tar, 1536 + 999), "layer tar is truncated inside entry '" + name + "'");
        assertRefused(Arrays.copyOf(tar, 1536 + 1000), "layer tar is truncated inside entry '" + name + "'");
        assertRefused(Arrays.copyOf(tar, 1536 + 1024), "layer tar is truncated (no end-of-archive marker)");
        assertThat(read(Arrays.copyOf(tar, 1536 + 1024 + 512))).hasSize(1); // one zero block ends it
    }

    @Test
    void negativeAndAbsurdSizes() {
        byte[] negative = TarBytes.header("neg".getBytes(), (byte) '0', 0, b -> {
            Arrays.fill(b, 124, 136, (byte) 0xff);
        });
        assertRefused(new TarBytes().block(negative).end().bytes(), "layer tar entry 'neg': negative size -1");
        byte[] overflow = TarBytes.header("big".getBytes(), (byte) '0', 0, b -> {
            Arrays.fill(b, 124, 136, (byte) 0x7f);
            b[124] = (byte) 0x80;
        });
        assertRefused(new TarBytes().block(overflow).end().bytes(), "layer tar entry 'big': size field overflows");
        byte[] notOctal = TarBytes.header("x8".getBytes(), (byte) '0', 0, b -> b[130] = '8');
        assertRefused(new TarBytes().block(notOctal).end().bytes(), "layer tar entry 'x8': bad size field");
        // The largest octal size is fine in the header, and then the data is missing.
        assertRefused(new TarBytes().block(TarBytes.header("huge", '0', 077777777777L)).end().bytes(),
                "layer tar is truncated inside entry 'huge'");
        byte[] pax = new TarBytes().paxEntry('x', TarBytes.pax("size=12a")).file("f", "").end().bytes();
        assertRefused(pax, "layer tar entry 'f': PAX size is not a number: '12a'");
        byte[] paxHuge = new TarBytes().paxEntry('x', TarBytes.pax("size=99999999999999999999")).file("f", "").end().bytes();
        assertRefused(paxHuge, "layer tar entry 'f': PAX size is out of range: '99999999999999999999'");
        byte[] paxNegative = new TarBytes().paxEntry('x', TarBytes.pax("size=-1")).file("f", "").end().bytes();
        assertRefused(paxNegative, "layer tar entry 'f': PAX size is not a number: '-1'");
    }

    @Test
    void paxLengthLies() {
        String[][] cases = {
            {"99 path=x\n", "length beyond the data"},
            {"9 path=abc\n", "length does not end at a newline"},
            {"x9 path=a\n", "length is not a number"},
            {"0 path=a\n", "length 0"},
            {"7 path\n", "no '='"},
            {"12 path=abc\n5 a=b\n", "length does not end at a newline"},
            {"10path=ab\n", "length is not a number"},
        };
        for (String[] c : cases) {
            byte[] tar = new TarBytes().paxEntry('x', c[0].getBytes(StandardCharsets.ISO_8859_1)).file("f", "").end().bytes();
            assertThatThrownBy(() -> read(tar)).as(c[0]).isInstanceOf(UnsafeImageException.class)
                    .hasMessageStartingWith("layer tar entry 'PaxHeaders/x': bad PAX record at offset ")
                    .hasMessageEndingWith(c[1]);
        }
    }

    @Test
    void metaEntriesOverOneMebibyteRefusedBeforeReadingThem() throws IOException {
        // No data follows the headers: the limit is what fails, not a read of the claimed size.
        assertRefused(new TarBytes().block(TarBytes.header("PaxHeaders/big", 'x', 2 << 20)).bytes(),
                "layer tar entry 'PaxHeaders/big': PAX header of 2097152 bytes is over the 1048576-byte limit");
        assertRefused(new TarBytes().block(TarBytes.header("././@LongLink", 'L', 1L << 32)).bytes(),
                "layer tar entry '././@LongLink': GNU long name of 4294967296 bytes is over the 1048576-byte limit");
        assertRefused(new TarBytes().block(TarBytes.header("././@LongLink", 'K', (1 << 20) + 1)).bytes(),
                "layer tar entry '././@LongLink': GNU long link of 1048577 bytes is over the 1048576-byte limit");
        // Many smaller ones before one entry add up.
        TarBytes chain = new TarBytes();
        byte[] records = TarBytes.pax("comment=" + "c".repeat(600_000));
        chain.paxEntry('x', records).paxEntry('x', records).file("f", "").end();
        assertRefused(chain.bytes(), "layer tar entry 'PaxHeaders/x': meta entries before one entry hold over 1048576 bytes");
        // At the limit it is read.
        byte[] atLimit = TarBytes.pax("comment=" + "c".repeat((1 << 20) - 20));
        assertThat(atLimit.length).isLessThanOrEqualTo(1 << 20);
        assertThat(read(new TarBytes().paxEntry('x', atLimit).file("f", "ok").end().bytes())).hasSize(1);
    }

    @Test
    void unsupportedTypes() {
        for (char t : new char[] {'M', 'N', 'A', 'X', 'E'}) {
            assertRefused(new TarBytes().block(TarBytes.header("vol", t, 0)).end().bytes(),
                    "layer tar entry 'vol': unsupported tar entry type '" + t + "'");
        }
        assertRefused(new TarBytes().block(TarBytes.header("odd", '\u0001', 0)).end().bytes(),
                "layer tar entry 'odd': unsupported tar entry type '\\x01'");
    }

    @Test
    void badSparseMaps() {
        String[][] cases = {
            {"GNU.sparse.map=0,10,5,10", "20", "sparse map not ascending or overlapping at offset 5"},
            {"GNU.sparse.map=0,10,95,10", "20", "sparse segment at 95 (10 bytes) beyond the file's size 100"},
            {"GNU.sparse.map=0,10,50,10", "30", "sparse map holds 20 bytes but the entry stores 30"},
            {"GNU.sparse.map=0,10,50", "10", "GNU.sparse.map has an odd number of values"},
            {"GNU.sparse.map=0,x", "10", "PAX GNU.sparse.map is not a number: 'x'"},
        };
        for (String[] c : cases) {
            int stored = Integer.parseInt(c[1]);
            byte[] tar = new TarBytes().paxEntry('x', TarBytes.pax(c[0], "GNU.sparse.size=100", "GNU.sparse.name=real"))
                    .entry(TarBytes.header("GNUSparseFile/real", '0', stored), new byte[stored]).end().bytes();
            assertRefused(tar, "layer tar entry 'real': " + c[2]);
        }
        byte[] noSize = new TarBytes().paxEntry('x', TarBytes.pax("GNU.sparse.map=0,1"))
                .entry(TarBytes.header("s", '0', 1), new byte[1]).end().bytes();
        assertRefused(noSize, "layer tar entry 's': GNU sparse file without its real size");
        byte[] version = new TarBytes().paxEntry('x', TarBytes.pax("GNU.sparse.major=2", "GNU.sparse.minor=0",
                "GNU.sparse.realsize=1")).entry(TarBytes.header("s", '0', 1), new byte[1]).end().bytes();
        assertRefused(version, "layer tar entry 's': unsupported GNU sparse format 2.0");
        byte[] pastData = new TarBytes().paxEntry('x', TarBytes.pax("GNU.sparse.major=1", "GNU.sparse.minor=0",
                "GNU.sparse.realsize=10")).entry(TarBytes.header("s", '0', 3), "1\n0".getBytes()).end().bytes();
        assertRefused(pastData, "layer tar entry 's': GNU sparse 1.0 map runs past the entry's data");
        byte[] symlink = new TarBytes().paxEntry('x', TarBytes.pax("GNU.sparse.map=0,0", "GNU.sparse.size=1"))
                .block(TarBytes.header("l", '2', 0)).end().bytes();
        assertRefused(symlink, "layer tar entry 'l': GNU sparse records on an entry of type '2'");
    }

    @Test
    void badXattrRecords() {
        byte[] base64 = new TarBytes().paxEntry('x', TarBytes.pax("LIBARCHIVE.xattr.user.a=!!"))
                .file("f", "").end().bytes();
        assertRefused(base64, "layer tar entry 'f': PAX LIBARCHIVE.xattr.user.a is not base64");
        byte[] percent = new TarBytes().paxEntry('x', TarBytes.pax("LIBARCHIVE.xattr.user.%zz=AA"))
                .file("f", "").end().bytes();
        assertRefused(percent, "layer tar entry 'f': bad percent-encoding in PAX key");
    }

    @Test
    void readingPastTheEndAndAfterAnError() throws IOException {
        byte[] tar = new TarBytes().file("a", "x").end().bytes();
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        assertThat(r.next()).isNotNull();
        assertThat(r.next()).isNull();
        assertThat(r.next()).isNull();
        assertThat(r.read(new byte[1], 0, 1)).isEqualTo(-1);
        assertThat(r.position()).isEqualTo(1536);
    }

    @Test
    void aStreamEndingInsideReadIsTruncation() throws IOException {
        byte[] tar = Arrays.copyOf(new TarBytes().file("a", "x".repeat(1000)).end().bytes(), 512 + 600);
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        r.next();
        byte[] buf = new byte[2000];
        assertThat(r.read(buf, 0, 2000)).isEqualTo(600);
        assertThatThrownBy(() -> r.read(buf, 0, 2000)).isInstanceOf(UnsafeImageException.class)
                .hasMessage("layer tar is truncated inside entry 'a'");
    }
}
