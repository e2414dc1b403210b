package io.krgo.layer;

import io.krgo.sys.NativeFs;
import io.krgo.error.UnsafeImageException;
import io.krgo.tar.TarWriter;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The applier keeps every byte a layer holds: binary xattr values (file capabilities with bytes >= 0x80),
 * times before 1970 and after 2262 to the nanosecond (as far as the file system holds them: ext4 from 1901 to 2446), sparse files with their holes, text ACLs. Layers come
 * from real writers (GNU tar, Python's tarfile) where they can make the case, else from krgo's own
 * byte-exact {@link TarWriter}. Runs as root, like CI; rootless is forced through {@link ApplyOptions}.
 */
class LayerBytesTest {
    /** cap_setuid,cap_setgid,cap_net_bind_service+ep as setcap(8) writes it (v2): 0x80 and 0xc0 bytes. */
    private static final byte[] CAPS = HexFormat.of().parseHex("01000002c00400000000000000000000" + "00000000");

    @TempDir
    Path tmp;

    private Path apply(byte[] tar, boolean privileged) throws IOException {
        Path root = Files.createDirectories(tmp.resolve(privileged ? "root" : "rootless"));
        LayerApplier applier = new LayerApplier(root, new ApplyOptions(privileged, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES));
        applier.applyTar(new ByteArrayInputStream(tar));
        applier.finish();
        return root;
    }

    private static byte[] tar(String name, Map<String, byte[]> xattrs, String content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        try (TarWriter w = new TarWriter(out)) {
            w.writeHeader(new TarWriter.Header(name, TarWriter.REG, 0755, 0, 0, bytes.length, 1_600_000_000_000_000_000L,
                    null, 0, 0, xattrs));
            w.writeContent(new ByteArrayInputStream(bytes), bytes.length);
        }
        return out.toByteArray();
    }

    @Test
    void aFileCapabilityWithHighBytesIsSetByteForByte() throws Exception {
        Path root = apply(tar("ping", Map.of("security.capability", CAPS, "user.note", new byte[] {(byte) 0xff, 0, 1}),
                "elf"), true);
        assertThat(NativeFs.lgetxattr(root.resolve("ping"), "security.capability")).containsExactly(CAPS);
        assertThat(NativeFs.lgetxattr(root.resolve("ping"), "user.note")).containsExactly(0xff, 0, 1);
        String getcap = Tools.run("getcap", root.resolve("ping").toString());
        assertThat(getcap).contains("cap_setgid,cap_setuid,cap_net_bind_service=ep");
    }

    @Test
    void rootlessKeepsWhatItMayNotSetForCommitToRestore() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("rootless"));
        LayerApplier applier = new LayerApplier(root, new ApplyOptions(false, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES));
        LayerResult r = applier.applyTar(new ByteArrayInputStream(tar("ping",
                Map.of("security.capability", CAPS, "trusted.x", new byte[] {1}), "elf")));
        applier.finish();
        assertThat(r.stats().xattrsSkipped()).isEqualTo(2);
        Path ping = root.resolve("ping");
        assertThat(NativeFs.lgetxattr(ping, "security.capability")).isNull();
        assertThat(NativeFs.lgetxattr(ping, "user.krgo.security.capability")).containsExactly(CAPS);
        FileInfo info = FileInfo.read(root, "ping", new XattrReader());
        assertThat(info.xattrs()).containsOnlyKeys("security.capability", "trusted.x");
        assertThat(info.xattrs().get("security.capability")).containsExactly(CAPS);
    }

    @Test
    void aValueTheKernelRefusesIsAnUnsafeImageNamingTheXattrAndTheReason() throws Exception {
        byte[] tar = tar("bad", Map.of("security.capability", new byte[] {1, 2, 3}), "x");
        assertThatThrownBy(() -> apply(tar, true)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("entry 'bad'").hasMessageContaining("security.capability")
                .hasMessageContaining("Invalid argument");
    }

    /** Python's tarfile writes PAX times as given: far future, before 1901, and negative fractions. */
    @Test
    void timesOutsideTheJdksRangeAndFractionsAreKeptToTheNanosecond() throws Exception {
        byte[] tar = python("""
                import io, sys, tarfile
                out = io.BytesIO()
                with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as t:
                    for name, mtime in [('y2300', '10413792000'), ('half', '-0.5'), ('y1938', '-1000000000.123456789'),
                                        ('ns', '1700000000.000000001')]:
                        i = tarfile.TarInfo(name); i.size = 1; i.pax_headers = {'mtime': mtime}
                        t.addfile(i, io.BytesIO(b'x'))
                    d = tarfile.TarInfo('dir2300'); d.type = tarfile.DIRTYPE; d.pax_headers = {'mtime': '10413792000.5'}
                    t.addfile(d)
                sys.stdout.buffer.write(out.getvalue())
                """);
        Path root = apply(tar, true);
        assertThat(mtime(root.resolve("y2300"))).isEqualTo(Instant.ofEpochSecond(10_413_792_000L));
        assertThat(mtime(root.resolve("half"))).isEqualTo(Instant.ofEpochSecond(-1, 500_000_000));
        assertThat(mtime(root.resolve("y1938"))).isEqualTo(Instant.ofEpochSecond(-1_000_000_001L, 876_543_211));
        assertThat(mtime(root.resolve("ns"))).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 1));
        assertThat(mtime(root.resolve("dir2300"))).isEqualTo(Instant.ofEpochSecond(10_413_792_000L, 500_000_000));
        // GNU tar's own extraction agrees (the reference the issue names).
        Path gnu = Files.createDirectories(tmp.resolve("gnu"));
        Path file = tmp.resolve("l.tar");
        Files.write(file, tar);
        Tools.run("tar", "-xf", file.toString(), "-C", gnu.toString());
        for (String n : List.of("y2300", "half", "y1938", "ns")) {
            assertThat(mtime(root.resolve(n))).as(n).isEqualTo(mtime(gnu.resolve(n)));
        }
    }

    @Test
    void sparseFilesFromGnuTarKeepTheirContentAndTheirHoles() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path sparse = src.resolve("disk.img");
        Tools.run("truncate", "-s", "64M", sparse.toString());
        Tools.run("dd", "if=/dev/urandom", "of=" + sparse, "bs=4096", "count=3", "seek=100", "conv=notrunc", "status=none");
        Tools.run("dd", "if=/dev/urandom", "of=" + sparse, "bs=4096", "count=1", "seek=10000", "conv=notrunc", "status=none");
        Tools.run("truncate", "-s", "80M", sparse.toString()); // ends in a hole
        for (String format : List.of("posix", "gnu")) {
            Path tarFile = tmp.resolve(format + ".tar");
            Tools.run("tar", "--sparse", "--format=" + format, "-cf", tarFile.toString(), "-C", src.toString(), "disk.img");
            assertThat(Files.size(tarFile)).as("the tar stores the data only").isLessThan(1 << 20);
            Path root = apply(Files.readAllBytes(tarFile), true);
            Path out = root.resolve("disk.img");
            assertThat(Files.size(out)).isEqualTo(80L << 20);
            assertThat(Tools.run("cmp", sparse.toString(), out.toString())).isEmpty();
            long blocks = Long.parseLong(Tools.run("stat", "-c", "%b", out.toString()).trim());
            assertThat(blocks * 512).as(format + ": holes kept").isLessThan(1 << 20);
            Tools.run("rm", "-rf", root.toString());
        }
    }

    /** bsdtar and GNU tar store ACLs as text (SCHILY.acl.*): the tree gets the kernel's binary ACL, as setfacl made it. */
    @Test
    void textAclsFromBsdtarAndGnuTarBecomeTheKernelsAcls() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("acl-src"));
        Path file = Files.writeString(src.resolve("shared"), "data");
        Path dir = Files.createDirectories(src.resolve("inherit"));
        // Ids no user or group of this host has: GNU tar writes names where the host knows them.
        Tools.run("setfacl", "-m", "u:64123:r-x,g:64124:rw-", file.toString());
        Tools.run("setfacl", "-d", "-m", "u:64125:rwx", dir.toString());
        byte[] access = NativeFs.lgetxattr(file, "system.posix_acl_access");
        byte[] inherited = NativeFs.lgetxattr(dir, "system.posix_acl_default");
        assertThat(access).isNotNull();
        for (List<String> writer : List.of(List.of("bsdtar", "--format", "pax", "--acls"),
                List.of("tar", "--format=posix", "--acls"))) {
            Path tarFile = tmp.resolve("acl.tar");
            List<String> cmd = new java.util.ArrayList<>(writer);
            cmd.addAll(List.of("-cf", tarFile.toString(), "-C", src.toString(), "shared", "inherit"));
            Tools.run(cmd);
            Path root = apply(Files.readAllBytes(tarFile), true);
            assertThat(NativeFs.lgetxattr(root.resolve("shared"), "system.posix_acl_access")).as(writer.get(0)).isEqualTo(access);
            assertThat(NativeFs.lgetxattr(root.resolve("inherit"), "system.posix_acl_default")).as(writer.get(0))
                    .isEqualTo(inherited);
            assertThat(Files.getAttribute(root.resolve("shared"), "unix:mode")).isEqualTo(
                    Files.getAttribute(file, "unix:mode"));
            Tools.run("rm", "-rf", root.toString(), tarFile.toString());
        }
    }

    /** A text ACL naming a user without its id means the image's user: resolved in the image's own /etc/passwd. */
    @Test
    void aclNamesAreTheImagesUsers() throws Exception {
        byte[] tar = python("""
                import io, sys, tarfile
                out = io.BytesIO()
                with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as t:
                    d = tarfile.TarInfo('etc'); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
                    for name, text in [('etc/passwd', b'root:x:0:0::/root:/bin/sh\\nimageuser:x:4321:4321::/:/bin/sh\\n'),
                                       ('etc/group', b'root:x:0:\\nimagegroup:x:5432:\\n')]:
                        i = tarfile.TarInfo(name); i.size = len(text); i.mode = 0o644; t.addfile(i, io.BytesIO(text))
                    i = tarfile.TarInfo('data'); i.size = 1; i.mode = 0o640
                    i.pax_headers = {'SCHILY.acl.access': 'user::rw-,user:imageuser:r--,group::r--,group:imagegroup:rw-,mask::rw-,other::---'}
                    t.addfile(i, io.BytesIO(b'x'))
                    i = tarfile.TarInfo('stranger'); i.size = 1; i.mode = 0o640
                    i.pax_headers = {'SCHILY.acl.access': 'user::rw-,user:nobody-here:r--,group::r--,mask::r--,other::---'}
                    t.addfile(i, io.BytesIO(b'x'))
                sys.stdout.buffer.write(out.getvalue())
                """);
        Path root = Files.createDirectories(tmp.resolve("root"));
        LayerApplier applier = new LayerApplier(root, ApplyOptions.defaults());
        LayerResult r = applier.applyTar(new ByteArrayInputStream(tar));
        applier.finish();
        assertThat(r.stats().aclsUnresolved()).as("the ACL naming a user the image lacks").isEqualTo(1);
        assertThat(NativeFs.lgetxattr(root.resolve("stranger"), "system.posix_acl_access")).isNull();
        String acl = Tools.run("getfacl", "-n", "-p", tmp.resolve("root/data").toString());
        assertThat(acl).contains("user:4321:r--").contains("group:5432:rw-").contains("mask::rw-");
    }

    @Test
    void malformedTarIsRefusedCleanly() throws Exception {
        byte[] tar = tar("f", Map.of(), "content");
        tar[0] = 'g'; // the header's checksum no longer matches
        assertThatThrownBy(() -> apply(tar, true)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("checksum");
    }

    private static Instant mtime(Path p) throws IOException {
        return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
    }

    /** Runs a Python script (Debian's python3) and returns what it wrote to stdout. */
    private byte[] python(String script) throws Exception {
        Tools.require("python3", "python3");
        Path py = tmp.resolve("make.py");
        Files.writeString(py, script);
        Process p = new ProcessBuilder("/usr/bin/python3", py.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (p.waitFor() != 0) {
            throw new AssertionError("python3 failed");
        }
        return out;
    }
}
