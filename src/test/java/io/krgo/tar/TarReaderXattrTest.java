package io.krgo.tar;

import io.krgo.error.UnsafeImageException;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Extended attributes and ACLs as GNU tar and bsdtar archive them: binary values kept byte for byte
 * (security.capability), escaped names, libarchive's base64 records, and the text ACLs turned by AclText
 * into exactly the xattr value the kernel holds for the same file.
 */
class TarReaderXattrTest {
    @TempDir
    Path tmp;

    private Path src;

    /** A file with an access ACL, binary and empty user xattrs, a capability; a directory with a default ACL. */
    private Path tree() {
        src = tmp.resolve("src");
        Tools.run("mkdir", "-p", src.resolve("d").toString());
        Tools.run("touch", src.resolve("f").toString(), src.resolve("cap").toString());
        Tools.require("setfacl", "acl");
        Tools.run("setfacl", "-m", "u:1000:r-x,g:27:rw-", src.resolve("f").toString());
        Tools.run("setfacl", "-d", "-m", "u:1000:rwx,g:4:r--", src.resolve("d").toString());
        Tools.require("setfattr", "attr");
        Tools.run("setfattr", "-n", "user.a=b%c d", "-v", "0x0080ff00", src.resolve("f").toString());
        Tools.run("setfattr", "-n", "user.empty", src.resolve("f").toString());
        Tools.require("setcap", "libcap2-bin");
        Tools.run("setcap", "cap_setuid,cap_setgid,cap_net_bind_service+ep", src.resolve("cap").toString());
        return src;
    }

    /** The kernel's value of an xattr, through getfattr. */
    private static byte[] getfattr(Path file, String name) {
        Tools.require("getfattr", "attr");
        String out = Tools.run("getfattr", "--absolute-names", "-n", name, "-e", "hex", file.toString());
        String hex = out.lines().filter(l -> l.startsWith(name + "=0x")).findFirst().orElseThrow()
                .substring(name.length() + 3);
        return HexFormat.of().parseHex(hex);
    }

    /** The name this host gives an id (setfacl used the host's names; the archive holds them). */
    private static String name(String database, int id) {
        Tools.require("getent", "libc-bin");
        Tools.Result r = Tools.runAllowingFailure(List.of("getent", database, Integer.toString(id)), Map.of());
        return r.exitCode() == 0 ? r.stdout().split(":")[0] : Integer.toString(id);
    }

    private static Map<String, TarEntry> byName(List<TarTestSupport.Read> read) {
        return read.stream().map(TarTestSupport.Read::entry).collect(Collectors.toMap(TarEntry::nameUtf8, e -> e));
    }

    @Test
    void gnuTarXattrsAndAcls() throws IOException {
        tree();
        Path tar = tmp.resolve("gnu.tar");
        Tools.run("tar", "--format=posix", "--xattrs", "--xattrs-include=*", "--acls", "-cf", tar.toString(),
                "-C", src.toString(), ".");
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(tar));
        TarEntry cap = e.get("./cap");
        byte[] capability = getfattr(src.resolve("cap"), "security.capability");
        assertThat(capability).hasSize(20);
        assertThat(cap.xattrs().get("security.capability")).isEqualTo(capability);
        TarEntry f = e.get("./f");
        assertThat(f.xattrs().get("user.a=b%c d")).isEqualTo(new byte[] {0, (byte) 0x80, (byte) 0xff, 0});
        assertThat(f.xattrs().get("user.empty")).isEmpty();
        byte[] access = getfattr(src.resolve("f"), "system.posix_acl_access");
        // GNU tar stores the ACL twice: the raw xattr and star's text; both give the kernel's bytes.
        assertThat(f.xattrs().get("system.posix_acl_access")).isEqualTo(access);
        // GNU tar's text names users and groups only: resolvable through the names the caller knows.
        String user = name("passwd", 1000);
        String group = name("group", 27);
        assertThat(f.aclAccess()).contains("user:" + user + ":r-x").contains("group:" + group + ":rw-");
        if (!user.equals("1000")) { // a host without a user 1000 makes GNU tar write the number
            assertThatThrownBy(() -> AclText.toXattr(f.aclAccess())).isInstanceOf(UnsafeImageException.class)
                    .hasMessageContaining("without a numeric id");
        }
        AclText.Names users = n -> n.equals(user) ? 1000 : -1;
        AclText.Names groups = n -> n.equals(group) ? 27 : n.equals(name("group", 4)) ? 4 : -1;
        assertThat(AclText.toXattr(f.aclAccess(), users, groups)).isEqualTo(access);
        TarEntry d = e.get("./d/");
        assertThat(AclText.toXattr(d.aclDefault(), users, groups))
                .isEqualTo(getfattr(src.resolve("d"), "system.posix_acl_default"));
    }

    @Test
    void bsdtarXattrsAndAcls() throws IOException {
        tree();
        Path tar = tmp.resolve("bsd.tar");
        TarTestSupport.runBytes(List.of("bsdtar", "--format", "pax", "--xattrs", "--acls", "-cf", tar.toString(),
                "-C", src.toString(), "."));
        String raw = new String(Files.readAllBytes(tar), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(raw).contains("LIBARCHIVE.xattr.user.a%3Db%25c%20d=AID/AA");
        Map<String, TarEntry> e = byName(TarTestSupport.assertSameAsPython(tar));
        TarEntry f = e.get("./f");
        // Both records, SCHILY's raw value and LIBARCHIVE's base64, name the same xattr with the same value.
        assertThat(f.xattrs()).containsOnlyKeys("user.a=b%c d", "user.empty");
        assertThat(f.xattrs().get("user.a=b%c d")).isEqualTo(new byte[] {0, (byte) 0x80, (byte) 0xff, 0});
        assertThat(e.get("./cap").xattrs().get("security.capability"))
                .isEqualTo(getfattr(src.resolve("cap"), "security.capability"));
        // bsdtar writes names and ids: user:NAME:r-x:1000
        assertThat(f.aclAccess()).matches(".*user:[^:,]*:r-x:1000.*");
        assertThat(AclText.toXattr(f.aclAccess())).isEqualTo(getfattr(src.resolve("f"), "system.posix_acl_access"));
        assertThat(AclText.toXattr(e.get("./d/").aclDefault()))
                .isEqualTo(getfattr(src.resolve("d"), "system.posix_acl_default"));
    }
}
