package io.krgo.tar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.testing.Tools;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads tars with TarReader and with Python's tarfile, and compares what the two say field by field. */
final class TarTestSupport {
    static final String PYTHON = "/usr/bin/python3";

    /** An entry as TarReader returned it, with the SHA-256 of the data read() delivered. */
    record Read(TarEntry entry, String sha256, long position) {
    }

    private TarTestSupport() {
    }

    static List<Read> readAll(Path tar) throws IOException {
        try (InputStream in = Files.newInputStream(tar)) {
            return readAll(in);
        }
    }

    static List<Read> readAll(InputStream in) throws IOException {
        TarReader r = new TarReader(in);
        List<Read> out = new ArrayList<>();
        byte[] buf = new byte[7000]; // not a multiple of 512, so reads end mid-block
        TarEntry e;
        while ((e = r.next()) != null) {
            MessageDigest md = sha256();
            long total = 0;
            int n;
            while ((n = r.read(buf, 0, buf.length)) >= 0) {
                md.update(buf, 0, n);
                total += n;
            }
            assertThat(total).as("bytes read() delivered for %s", Printable.of(e.name())).isEqualTo(e.size());
            out.add(new Read(e, HexFormat.of().formatHex(md.digest()), r.position()));
        }
        return out;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    /** Runs Debian's python3 (not the PATH's) with a script; returns its stdout. */
    static String python(String script, String... args) {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new AssertionError(PYTHON + " is required by this test but not installed: apt-get install -y python3");
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", script));
        cmd.addAll(List.of(args));
        return Tools.run(cmd);
    }

    /**
     * Runs a tool whose messages may hold non-UTF-8 bytes (names it warns about), which Tools.run cannot
     * decode; fails the test when it exits non-zero.
     */
    static void runBytes(List<String> cmd) {
        Tools.require(cmd.get(0), cmd.get(0).equals("bsdtar") ? "libarchive-tools" : cmd.get(0));
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (p.waitFor() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static final String PY_READ = """
            import tarfile, json, sys, hashlib
            def b(s):
                return s.encode('utf-8', 'surrogateescape').hex() if isinstance(s, str) else s.hex()
            out = []
            with tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape') as t:
                for m in t:
                    e = dict(name=b(m.name), type=m.type.decode('latin-1'), linkname=b(m.linkname),
                             mode=m.mode & 0o7777, uid=m.uid, gid=m.gid, uname=b(m.uname), gname=b(m.gname),
                             size=m.size, mtime=int(m.mtime // 1), devmajor=m.devmajor, devminor=m.devminor,
                             isdir=m.isdir(), pax={k: b(v) for k, v in m.pax_headers.items()},
                             sparse=[list(s) for s in m.sparse] if m.sparse is not None else None)
                    if m.isreg():
                        f = t.extractfile(m)
                        h = hashlib.sha256()
                        if m.sparse is not None:
                            for off, n in m.sparse:
                                f.seek(off)
                                h.update(f.read(n))
                        else:
                            h.update(f.read())
                        e['sha256'] = h.hexdigest()
                    out.append(e)
            print(json.dumps(out))
            """;

    /** Python tarfile's view of a tar: names etc. as hex of their bytes, PAX records, data hashes. */
    static JsonNode pythonView(Path tar) throws IOException {
        return new ObjectMapper().readTree(python(PY_READ, tar.toString()));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] unhex(String s) {
        return HexFormat.of().parseHex(s);
    }

    /**
     * Asserts TarReader and Python's tarfile agree on every entry of {@code tar}; returns what TarReader read.
     * Python strips a directory's trailing '/', reports a sparse file's real size as its size and gives float
     * times, so those are compared accordingly (PAX times exactly, against the raw record).
     */
    static List<Read> assertSameAsPython(Path tar) throws IOException {
        List<Read> ours = readAll(tar);
        JsonNode py = pythonView(tar);
        assertThat(ours).hasSize(py.size());
        for (int i = 0; i < ours.size(); i++) {
            TarEntry e = ours.get(i).entry();
            JsonNode p = py.get(i);
            String what = "entry " + i + " '" + Printable.of(e.name()) + "' of " + tar.getFileName();
            byte[] name = e.name();
            if (p.get("isdir").asBoolean() && name.length > 1 && name[name.length - 1] == '/') {
                name = java.util.Arrays.copyOf(name, name.length - 1);
            }
            assertThat(hex(name)).as(what + " name").isEqualTo(p.get("name").asText());
            assertThat(e.kind() == TarEntry.Kind.DIRECTORY).as(what + " is a directory").isEqualTo(p.get("isdir").asBoolean());
            String pyType = p.get("type").asText();
            String ourType = String.valueOf((char) (e.typeFlag() & 0xff));
            if (e.typeFlag() == 0 && e.kind() == TarEntry.Kind.DIRECTORY) {
                ourType = "5"; // Python too turns a v7 "file/" into a directory, by its type
            }
            assertThat(ourType).as(what + " type").isEqualTo(pyType);
            if (e.kind() == TarEntry.Kind.SYMLINK || e.kind() == TarEntry.Kind.HARDLINK) {
                assertThat(hex(e.linkName())).as(what + " link").isEqualTo(p.get("linkname").asText());
            } else {
                assertThat(e.linkName()).as(what + " link").isEmpty();
            }
            assertThat(e.mode()).as(what + " mode").isEqualTo(p.get("mode").asInt());
            assertThat(e.uid()).as(what + " uid").isEqualTo(p.get("uid").asLong());
            assertThat(e.gid()).as(what + " gid").isEqualTo(p.get("gid").asLong());
            assertThat(hex(e.uname())).as(what + " uname").isEqualTo(p.get("uname").asText());
            assertThat(hex(e.gname())).as(what + " gname").isEqualTo(p.get("gname").asText());
            JsonNode pax = p.get("pax");
            assertThat(e.mtime()).as(what + " mtime").isEqualTo(pax.has("mtime")
                    ? paxTime(new String(unhex(pax.get("mtime").asText()))) : TarTime.ofSeconds(p.get("mtime").asLong()));
            for (String t : List.of("atime", "ctime")) {
                if (pax.has(t)) {
                    assertThat(t.equals("atime") ? e.atime() : e.ctime()).as(what + " " + t)
                            .isEqualTo(paxTime(new String(unhex(pax.get(t).asText()))));
                }
            }
            if (e.kind() == TarEntry.Kind.CHAR_DEVICE || e.kind() == TarEntry.Kind.BLOCK_DEVICE) {
                assertThat(e.devMajor()).as(what + " devmajor").isEqualTo(p.get("devmajor").asInt());
                assertThat(e.devMinor()).as(what + " devminor").isEqualTo(p.get("devminor").asInt());
            }
            pax.fieldNames().forEachRemaining(k -> {
                if (k.startsWith("SCHILY.xattr.")) {
                    // GNU tar and libarchive percent-encode '%', '=' (and libarchive more) in the name.
                    String xname = java.net.URLDecoder.decode(k.substring("SCHILY.xattr.".length()).replace("+", "%2B"),
                            java.nio.charset.StandardCharsets.UTF_8);
                    assertThat(e.xattrs()).as(what + " xattrs").containsKey(xname);
                    assertThat(hex(e.xattrs().get(xname))).as(what + " xattr " + xname).isEqualTo(pax.get(k).asText());
                }
            });
            if (p.get("sparse").isNull()) {
                assertThat(e.sparse()).as(what + " sparse").isNull();
                if (p.has("sha256")) {
                    assertThat(e.size()).as(what + " size").isEqualTo(p.get("size").asLong());
                }
                assertThat(e.realSize()).isEqualTo(e.size());
            } else {
                List<TarEntry.SparseSegment> expected = new ArrayList<>();
                for (JsonNode s : p.get("sparse")) {
                    if (s.get(1).asLong() > 0) {
                        expected.add(new TarEntry.SparseSegment(s.get(0).asLong(), s.get(1).asLong()));
                    }
                }
                assertThat(e.sparse()).as(what + " sparse map").isEqualTo(expected);
                assertThat(e.realSize()).as(what + " real size").isEqualTo(p.get("size").asLong());
                assertThat(e.size()).as(what + " stored size")
                        .isEqualTo(expected.stream().mapToLong(TarEntry.SparseSegment::length).sum());
            }
            if (p.has("sha256")) {
                assertThat(ours.get(i).sha256()).as(what + " data").isEqualTo(p.get("sha256").asText());
            }
        }
        return ours;
    }

    /** A PAX time, independently of PaxRecords: floor of the decimal, nanoseconds truncated. */
    static TarTime paxTime(String s) {
        BigDecimal d = new BigDecimal(s).setScale(9, RoundingMode.DOWN);
        BigDecimal secs = d.setScale(0, RoundingMode.FLOOR);
        return new TarTime(secs.longValueExact(), d.subtract(secs).movePointRight(9).intValueExact());
    }
}
