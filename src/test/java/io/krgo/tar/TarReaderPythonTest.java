package io.krgo.tar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Archives Python's tarfile writes in USTAR, GNU and PAX format with the values that stretch a reader:
 * times before 1970, beyond 2262 and with more than nanosecond digits, binary names, global headers,
 * base-256 ids, names of 4000 bytes. Each checked against the values chosen and against tarfile's reading.
 */
class TarReaderPythonTest {
    @TempDir
    Path tmp;

    /** Writes members (name, pax headers, data, type, mtime, uid, linkname) as Python's tarfile does. */
    private static final String WRITE = """
            import tarfile, sys, io
            fmt = {'ustar': tarfile.USTAR_FORMAT, 'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT}[sys.argv[2]]
            with tarfile.open(sys.argv[1], 'w', format=fmt, encoding='utf-8', errors='surrogateescape') as t:
                for spec in sys.argv[3:]:
                    name, typ, mtime, uid, link, data, pax = spec.split('|')
                    ti = tarfile.TarInfo(name.encode('latin-1').decode('utf-8', 'surrogateescape'))
                    ti.type, ti.mtime, ti.uid, ti.gid, ti.linkname = typ.encode(), float(mtime) if '.' in mtime else int(mtime), int(uid), int(uid) + 1, link
                    ti.uname, ti.gname = 'someone', 'somegroup'
                    if pax:
                        ti.pax_headers = dict(kv.split('=', 1) for kv in pax.split(';'))
                    body = data.encode()
                    ti.size = len(body) if typ == '0' else 0
                    t.addfile(ti, io.BytesIO(body) if typ == '0' else None)
            """;

    private Path write(String format, String... specs) {
        Path out = tmp.resolve(format + "-" + System.nanoTime() + ".tar");
        String[] args = new String[specs.length + 2];
        args[0] = out.toString();
        args[1] = format;
        System.arraycopy(specs, 0, args, 2, specs.length);
        TarTestSupport.python(WRITE, args);
        return out;
    }

    private static TarEntry only(List<TarTestSupport.Read> read, int i) {
        return read.get(i).entry();
    }

    @Test
    void paxTimesBefore1970Beyond2262AndBeyondNanoseconds() throws IOException {
        Path tar = write("pax",
                "a|0|0|0||x|mtime=-0.5",
                "b|0|0|0||x|mtime=10413792000",
                "c|0|0|0||x|mtime=1700000000.1234567899;atime=-1700000000.000000001;ctime=+5",
                "d|0|0|0||x|mtime=-1.000");
        List<TarTestSupport.Read> r = TarTestSupport.assertSameAsPython(tar);
        assertThat(only(r, 0).mtime()).isEqualTo(new TarTime(-1, 500_000_000));
        assertThat(only(r, 1).mtime()).isEqualTo(TarTime.ofSeconds(10413792000L));
        assertThat(only(r, 1).mtime().toInstant().toString()).isEqualTo("2300-01-01T00:00:00Z");
        assertThat(only(r, 2).mtime()).isEqualTo(new TarTime(1700000000L, 123456789));
        assertThat(only(r, 2).atime()).isEqualTo(new TarTime(-1700000001L, 999999999));
        assertThat(only(r, 2).ctime()).isEqualTo(TarTime.ofSeconds(5));
        assertThat(only(r, 3).mtime()).isEqualTo(TarTime.ofSeconds(-1));
    }

    @Test
    void binaryPathWithHdrcharset() throws IOException {
        Path tar = write("pax", "latin\u00e9-\u00ff|0|1|0||data|", "caf\u00c3\u00a9|0|1|0||utf8|");
        byte[] raw = java.nio.file.Files.readAllBytes(tar);
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).contains("hdrcharset=BINARY");
        List<TarTestSupport.Read> r = TarTestSupport.assertSameAsPython(tar);
        assertThat(only(r, 0).name()).isEqualTo(new byte[] {'l', 'a', 't', 'i', 'n', (byte) 0xe9, '-', (byte) 0xff});
        assertThat(only(r, 0).nameUtf8()).isNull();
        assertThat(only(r, 1).nameUtf8()).isEqualTo("café");
    }

    @Test
    void globalHeadersApplyToWhatFollowsUntilOverriddenOrDeleted() throws IOException {
        Path tar = tmp.resolve("global.tar");
        TarTestSupport.python("""
                import tarfile, io, sys
                G = tarfile.TarInfo.create_pax_global_header
                def member(name, pax={}):
                    ti = tarfile.TarInfo(name)
                    ti.uname, ti.gname, ti.size, ti.pax_headers = 'hdruser', 'hdrgroup', 2, pax
                    return ti.tobuf(tarfile.PAX_FORMAT, 'utf-8', 'strict') + b'ab' + b'\\0' * 510
                with open(sys.argv[1], 'wb') as f:
                    f.write(G({'uname': 'g1', 'gname': 'g1group', 'SCHILY.xattr.user.a': 'one', 'mtime': '12.5'}))
                    f.write(member('first'))
                    f.write(G({'uname': 'g2', 'gname': ''}))
                    f.write(member('second', {'uname': 'own', 'SCHILY.xattr.user.b': 'two'}))
                    f.write(member('third'))
                    f.write(b'\\0' * 1024)
                """, tar.toString());
        // Not compared with Python's reading: tarfile keeps an empty global value instead of deleting the key.
        List<TarTestSupport.Read> r = TarTestSupport.readAll(tar);
        assertThat(r).hasSize(3);
        TarEntry first = only(r, 0);
        assertThat(new String(first.uname())).isEqualTo("g1");
        assertThat(new String(first.gname())).isEqualTo("g1group");
        assertThat(first.xattrs()).containsOnlyKeys("user.a");
        assertThat(first.mtime()).isEqualTo(new TarTime(12, 500_000_000));
        TarEntry second = only(r, 1);
        assertThat(new String(second.uname())).isEqualTo("own");
        assertThat(new String(second.gname())).isEqualTo("hdrgroup"); // the global gname was deleted
        assertThat(second.xattrs()).containsOnlyKeys("user.a", "user.b");
        TarEntry third = only(r, 2);
        assertThat(new String(third.uname())).isEqualTo("g2");
        assertThat(third.xattrs()).containsOnlyKeys("user.a");
        assertThat(new String(third.xattrs().get("user.a"))).isEqualTo("one");
        assertThat(third.size()).isEqualTo(2);
    }

    @Test
    void gnuBase256IdsNegativeTimesLongNamesAndLinks() throws IOException {
        String longName = "n".repeat(100) + "/" + "x".repeat(3899);
        String longLink = "l".repeat(150) + "/" + "k".repeat(149);
        Path tar = write("gnu",
                "big|0|-1000000|3000000||data|",
                longName + "|0|1|0||content|",
                "sym|2|1|0|" + longLink + "||",
                "hard|1|1|0|" + longName + "||");
        byte[] raw = java.nio.file.Files.readAllBytes(tar);
        assertThat(raw[108] & 0xff).as("uid is base-256").isEqualTo(0x80);
        List<TarTestSupport.Read> r = TarTestSupport.assertSameAsPython(tar);
        assertThat(only(r, 0).uid()).isEqualTo(3000000);
        assertThat(only(r, 0).gid()).isEqualTo(3000001);
        assertThat(only(r, 0).mtime()).isEqualTo(TarTime.ofSeconds(-1000000));
        assertThat(only(r, 1).nameUtf8()).isEqualTo(longName).hasSize(4000);
        assertThat(only(r, 2).kind()).isEqualTo(TarEntry.Kind.SYMLINK);
        assertThat(only(r, 2).linkNameUtf8()).isEqualTo(longLink).hasSize(300);
        assertThat(only(r, 3).kind()).isEqualTo(TarEntry.Kind.HARDLINK);
        assertThat(only(r, 3).linkNameUtf8()).isEqualTo(longName);
    }

    @Test
    void paxLongNamesLinksAndIds() throws IOException {
        String longName = "p".repeat(2000) + "/" + "q".repeat(1999);
        String longLink = "z".repeat(300);
        Path tar = write("pax",
                longName + "|0|1|3000000||content|",
                "sym|2|1|0|" + longLink + "||",
                "ids|0|1|0||x|uid=4294967294;gid=123456789012;uname=\u00e9l\u00e8ve;size=1");
        List<TarTestSupport.Read> r = TarTestSupport.assertSameAsPython(tar);
        assertThat(only(r, 0).nameUtf8()).isEqualTo(longName);
        assertThat(only(r, 0).uid()).isEqualTo(3000000);
        assertThat(only(r, 1).linkNameUtf8()).isEqualTo(longLink);
        assertThat(only(r, 2).uid()).isEqualTo(4294967294L);
        assertThat(only(r, 2).gid()).isEqualTo(123456789012L);
        assertThat(new String(only(r, 2).uname(), StandardCharsets.UTF_8)).isEqualTo("élève");
    }

    @Test
    void ustarPrefixJoinedWithSlash() throws IOException {
        String name = "a".repeat(120) + "/" + "b".repeat(90);
        Path tar = write("ustar", name + "|0|1700000000|0||data|", "dir/|5|1|0|||");
        byte[] raw = java.nio.file.Files.readAllBytes(tar);
        assertThat(raw[345]).as("the name went into the prefix field").isEqualTo((byte) 'a');
        List<TarTestSupport.Read> r = TarTestSupport.assertSameAsPython(tar);
        assertThat(only(r, 0).nameUtf8()).isEqualTo(name);
        assertThat(only(r, 0).mtime()).isEqualTo(TarTime.ofSeconds(1700000000L));
        assertThat(only(r, 1).nameUtf8()).isEqualTo("dir/");
        assertThat(only(r, 1).kind()).isEqualTo(TarEntry.Kind.DIRECTORY);
    }
}
