package io.krgo.tar;

import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Archives GNU tar and bsdtar write in each of their formats, read by TarReader and compared field by field
 * with what Python's tarfile reads from the same bytes; plus the values the tree was made with.
 */
class TarReaderWritersTest {
    /** The tree: every kind of entry; "full" adds what only PAX and GNU can hold (long names, big ids). */
    private static final String MAKE_TREE = """
            import os, sys
            d, full = os.fsencode(sys.argv[1]), sys.argv[2] == 'full'
            os.makedirs(d + b'/dir/sub')
            with open(d + b'/dir/file.txt', 'wb') as f: f.write(b'hello\\n' * 100)
            with open(d + b'/dir/sub/blocks', 'wb') as f: f.write(bytes(range(256)) * 8)
            open(d + b'/empty', 'wb').close()
            os.symlink(b'dir/file.txt', d + b'/link')
            os.link(d + b'/dir/file.txt', d + b'/hard')
            os.chmod(d + b'/dir/file.txt', 0o4751)
            os.chmod(d + b'/dir/sub', 0o1777)
            os.chown(d + b'/empty', 1234, 5678)
            os.utime(d + b'/empty', ns=(1600000000_000000000, 1700000000_000000000))
            if sys.argv[2] != 'v7':
                os.mkfifo(d + b'/fifo')
                os.mknod(d + b'/null', 0o20666, os.makedev(1, 3))
                os.mknod(d + b'/loop', 0o60640, os.makedev(7, 300))
            if full:
                deep = d + b'/' + b'd' * 60 + b'/' + b'e' * 70 + b'/' + b'f' * 80
                os.makedirs(deep)
                with open(deep + b'/' + b'n' * 150, 'wb') as f: f.write(os.urandom(5000))
                with open(d + b'/caf\\xc3\\xa9 \\xe2\\x82\\xac', 'wb') as f: f.write(b'utf-8 name')
                with open(d + b'/latin\\xe9', 'wb') as f: f.write(b'latin-1 name')
                os.symlink(b't' * 300, d + b'/longlink')
                with open(d + b'/bigids', 'wb') as f: f.write(b'x')
                os.chown(d + b'/bigids', 3000000, 3000001)
                os.utime(d + b'/bigids', ns=(1600000000_000000000, 1700000000_123456789))
            """;

    @TempDir
    Path tmp;

    private Path tree(String variant) {
        Path src = tmp.resolve("src-" + variant);
        TarTestSupport.python(MAKE_TREE, src.toString(), variant);
        return src;
    }

    private Path gnuTar(String format, String variant, String... extra) {
        Tools.require("tar", "tar");
        Path src = tree(variant);
        Path out = tmp.resolve(format + ".tar");
        List<String> cmd = new java.util.ArrayList<>(List.of("tar", "--format=" + format, "--sort=name"));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-cf", out.toString(), "-C", src.toString(), "."));
        Tools.run(cmd);
        return out;
    }

    private Path bsdtar(String format, String variant) {
        Tools.require("bsdtar", "libarchive-tools");
        Path src = tree(variant);
        Path out = tmp.resolve("bsd-" + format + ".tar");
        TarTestSupport.runBytes(List.of("bsdtar", "--format", format, "-cf", out.toString(), "-C", src.toString(), "."));
        return out;
    }

    private static Map<String, TarEntry> byName(List<TarTestSupport.Read> read) {
        return read.stream().map(TarTestSupport.Read::entry)
                .collect(Collectors.toMap(e -> new String(e.name(), StandardCharsets.ISO_8859_1), Function.identity()));
    }

    /** The values the tree was made with, whatever the format. */
    private static void assertBasics(Map<String, TarEntry> e, boolean devices) {
        // The first of the two names is the file, the other a hardlink to it (bsdtar and GNU tar order differ).
        TarEntry file = e.get("./dir/file.txt").kind() == TarEntry.Kind.FILE ? e.get("./dir/file.txt") : e.get("./hard");
        assertThat(file.kind()).isEqualTo(TarEntry.Kind.FILE);
        assertThat(file.mode()).isEqualTo(04751);
        assertThat(file.size()).isEqualTo(600);
        assertThat(e.get("./dir/sub/").kind()).isEqualTo(TarEntry.Kind.DIRECTORY);
        assertThat(e.get("./dir/sub/").mode()).isEqualTo(01777);
        TarEntry empty = e.get("./empty");
        assertThat(empty.uid()).isEqualTo(1234);
        assertThat(empty.gid()).isEqualTo(5678);
        assertThat(empty.mtime()).isEqualTo(TarTime.ofSeconds(1700000000L));
        assertThat(e.get("./link").kind()).isEqualTo(TarEntry.Kind.SYMLINK);
        assertThat(e.get("./link").linkNameUtf8()).isEqualTo("dir/file.txt");
        TarEntry hard = file == e.get("./hard") ? e.get("./dir/file.txt") : e.get("./hard");
        assertThat(hard.kind()).isEqualTo(TarEntry.Kind.HARDLINK);
        assertThat(hard.size()).isZero();
        assertThat(hard.linkName()).isEqualTo(file.name());
        if (devices) {
            assertThat(e.get("./fifo").kind()).isEqualTo(TarEntry.Kind.FIFO);
            assertThat(e.get("./null").kind()).isEqualTo(TarEntry.Kind.CHAR_DEVICE);
            assertThat(e.get("./null").devMajor()).isEqualTo(1);
            assertThat(e.get("./null").devMinor()).isEqualTo(3);
            assertThat(e.get("./loop").kind()).isEqualTo(TarEntry.Kind.BLOCK_DEVICE);
            assertThat(e.get("./loop").devMajor()).isEqualTo(7);
            assertThat(e.get("./loop").devMinor()).isEqualTo(300);
            assertThat(e.get("./loop").mode()).isEqualTo(0640);
        }
    }

    private static void assertFull(Map<String, TarEntry> e) {
        String deep = "./" + "d".repeat(60) + "/" + "e".repeat(70) + "/" + "f".repeat(80) + "/" + "n".repeat(150);
        assertThat(e.get(deep).size()).isEqualTo(5000);
        assertThat(e.get(new String("./café €".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)).nameUtf8())
                .isEqualTo("./café €");
        assertThat(e.get("./latin\u00e9").nameUtf8()).isNull();
        assertThat(e.get("./longlink").linkNameUtf8()).isEqualTo("t".repeat(300));
        assertThat(e.get("./bigids").uid()).isEqualTo(3000000);
        assertThat(e.get("./bigids").gid()).isEqualTo(3000001);
    }

    @Test
    void gnuTarPosix() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(gnuTar("posix", "full")));
        assertBasics(e, true);
        assertFull(e);
        // GNU tar's PAX format keeps nanoseconds and writes atime and ctime.
        assertThat(e.get("./bigids").mtime()).isEqualTo(new TarTime(1700000000L, 123456789));
        assertThat(e.get("./bigids").atime()).isEqualTo(TarTime.ofSeconds(1600000000L));
        assertThat(e.get("./bigids").ctime()).isNotNull();
    }

    @Test
    void gnuTarGnu() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(gnuTar("gnu", "full")));
        assertBasics(e, true);
        assertFull(e); // long names through 'L'/'K' entries, ids through base-256
    }

    @Test
    void gnuTarOldGnuWithTimes() throws IOException {
        // Not compared with Python: its tarfile joins old GNU's atime and ctime to the name as a ustar prefix.
        Map<String, TarEntry> e = byName(TarTestSupport.readAll(
                gnuTar("oldgnu", "basic", "--incremental", "--listed-incremental=" + tmp.resolve("snar"))));
        assertBasics(e, true);
        // --incremental makes old GNU headers carry atime and ctime; directories become 'D' dumpdirs.
        assertThat(e.get("./empty").atime()).isEqualTo(TarTime.ofSeconds(1600000000L));
        assertThat(e.get("./empty").ctime()).isNotNull();
        assertThat(e.get("./dir/").typeFlag()).isEqualTo((byte) 'D');
        assertThat(e.get("./dir/").kind()).isEqualTo(TarEntry.Kind.DIRECTORY);
    }

    @Test
    void gnuTarOldGnu() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(gnuTar("oldgnu", "full")));
        assertBasics(e, true);
        assertFull(e);
        assertThat(e.get("./empty").atime()).isNull();
    }

    @Test
    void gnuTarUstar() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(gnuTar("ustar", "basic")));
        assertBasics(e, true);
        assertThat(e.get("./empty").atime()).isNull();
        assertThat(new String(e.get("./empty").uname(), StandardCharsets.UTF_8)).isNotNull();
    }

    @Test
    void gnuTarV7() throws IOException {
        List<TarTestSupport.Read> read = TarTestSupport.assertSameAsPython(gnuTar("v7", "v7"));
        Map<String, TarEntry> e = byName(read);
        assertBasics(e, false);
        assertThat(e.get("./dir/sub/").typeFlag()).isEqualTo((byte) '5');
        assertThat(e.get("./empty").uname()).isEmpty(); // v7 has no owner names
    }

    @Test
    void bsdtarPax() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(bsdtar("pax", "full")));
        assertBasics(e, true);
        assertFull(e);
    }

    @Test
    void bsdtarUstar() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(bsdtar("ustar", "basic")));
        assertBasics(e, true);
    }

    @Test
    void bsdtarGnutar() throws IOException {
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(bsdtar("gnutar", "full")));
        assertBasics(e, true);
        assertFull(e);
    }

    @Test
    void positionCountsEveryByteUpToTheEndMarker() throws IOException {
        Path tar = gnuTar("posix", "basic");
        List<TarTestSupport.Read> read = TarTestSupport.readAll(tar);
        try (var in = java.nio.file.Files.newInputStream(tar)) {
            TarReader r = new TarReader(in);
            while (r.next() != null) {
                assertThat(r.position() % 512).isZero();
            }
            assertThat(r.next()).isNull();
            // One zero block read past the last entry's data, no more.
            long lastEnd = read.get(read.size() - 1).position();
            assertThat(r.position()).isEqualTo(lastEnd + 512 + padding(read.get(read.size() - 1).entry().size()));
        }
    }

    private static long padding(long size) {
        return (512 - size % 512) % 512;
    }
}
