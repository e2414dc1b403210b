package io.krgo.tar;

import io.krgo.error.UnsafeImageException;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** AclText against the bytes the kernel keeps for ACLs setfacl set, and its refusals. */
class AclTextTest {
    @TempDir
    Path tmp;

    private byte[] kernelValue(String spec, String xattr, boolean directory) {
        Path p = tmp.resolve(directory ? "d" : "f");
        Tools.run(directory ? "mkdir" : "touch", p.toString());
        Tools.require("setfacl", "acl");
        if (directory) {
            Tools.run("setfacl", "-d", "-m", spec, p.toString());
        } else {
            Tools.run("setfacl", "-m", spec, p.toString());
        }
        Tools.require("getfattr", "attr");
        String out = Tools.run("getfattr", "--absolute-names", "-n", xattr, "-e", "hex", p.toString());
        return HexFormat.of().parseHex(out.lines().filter(l -> l.startsWith(xattr + "=0x")).findFirst().orElseThrow()
                .substring(xattr.length() + 3));
    }

    @Test
    void accessAclAsTheKernelKeepsIt() {
        byte[] kernel = kernelValue("u:1000:r-x,g:27:rw-", "system.posix_acl_access", false);
        // touch made the file 0644; setfacl computed the mask.
        assertThat(AclText.toXattr("user::rw-,user:1000:r-x,group::r--,group:27:rw-,mask::rwx,other::r--"))
                .isEqualTo(kernel);
        // Entries in any order, star/bsdtar's 4th field with the id, short tags, newlines, comments.
        assertThat(AclText.toXattr("other::r--\ngroup:sudo:rw-:27,u:alice:r-x:1000 # a comment\nm::rwx,g::r--,user::rw-"))
                .isEqualTo(kernel);
        // Without a mask, one is computed as setfacl does.
        assertThat(AclText.toXattr("user::rw-,user:1000:r-x,group::r--,group:27:rw-,other::r--")).isEqualTo(kernel);
        assertThat(HexFormat.of().formatHex(kernel)).isEqualTo("02000000" + "01000600ffffffff" + "02000500e8030000"
                + "04000400ffffffff" + "080006001b000000" + "10000700ffffffff" + "20000400ffffffff");
    }

    @Test
    void defaultAclAsTheKernelKeepsIt() {
        byte[] kernel = kernelValue("u:1000:rwx,g:4:r--", "system.posix_acl_default", true);
        assertThat(AclText.toXattr("user::rwx,user:1000:rwx,group::r-x,group:4:r--,mask::rwx,other::r-x"))
                .isEqualTo(kernel);
    }

    @Test
    void namesResolveThroughTheCallersLookup() {
        byte[] expected = AclText.toXattr("user::rw-,user:1000:r-x,group::r--,mask::r-x,other::r--");
        assertThat(AclText.toXattr("user::rw-,user:alice:r-x,group::r--,mask::r-x,other::r--",
                n -> n.equals("alice") ? 1000 : -1, n -> -1)).isEqualTo(expected);
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> AclText.toXattr("user::rw-,user:alice:r-x,group::r--,mask::r-x,other::r--"))
                .isInstanceOf(UnsafeImageException.class)
                .hasMessage("ACL 'user:alice:r-x': names a user without a numeric id");
        assertThatThrownBy(() -> AclText.toXattr("user::rw-,group::r--,other::r--,user::r--"))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("an entry appears twice");
        assertThatThrownBy(() -> AclText.toXattr("user::rw-,other::r--"))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("are required");
        assertThatThrownBy(() -> AclText.toXattr("user::rwz,group::r--,other::r--"))
                .isInstanceOf(UnsafeImageException.class).hasMessage("ACL 'user::rwz': bad permissions 'rwz'");
        assertThatThrownBy(() -> AclText.toXattr("wheel::rw-")).isInstanceOf(UnsafeImageException.class)
                .hasMessage("ACL 'wheel::rw-': unknown tag 'wheel'");
        assertThatThrownBy(() -> AclText.toXattr("user:4294967295:rw-,user::rw-,group::r--,other::r--"))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("without a numeric id");
        assertThat(AclText.toXattr("")).isNull();
    }
}
