package io.krgo.layer;

import io.krgo.testing.OciFixtures;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FileInfoTest {
    @TempDir
    Path tmp;

    private final XattrReader xattrs = new XattrReader();

    @Test
    void rootlessOwnerXattrWinsOverTheRealOwnerAndIsNotAnImageXattr() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        xattrs.set(f, FileInfo.ROOTLESS_XATTR, FileInfo.encodeRootless(1234, 70000));
        xattrs.set(f, "user.other", new byte[]{1});
        FileInfo info = FileInfo.read(tmp, "f", xattrs);
        assertThat(info.uid()).isEqualTo(1234);
        assertThat(info.gid()).isEqualTo(70000);
        assertThat(info.xattrs()).containsOnlyKeys("user.other");
    }

    @Test
    void rootlessOwnerAsUmociWritesIt() throws Exception {
        // umoci --rootless records the image owner in user.rootlesscontainers; read it back through FileInfo.
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("owned"), "mine");
        Files.setAttribute(src.resolve("owned"), "unix:uid", 1000);
        Files.setAttribute(src.resolve("owned"), "unix:gid", 2000);
        Path tar = tmp.resolve("l.tar");
        Tools.run("tar", "--numeric-owner", "-cpf", tar.toString(), "-C", src.toString(), ".");
        Path layout = tmp.resolve("oci");
        OciFixtures.create(layout, "t", List.of(tar));
        Path rootfs = OciFixtures.unpack(layout, "t", tmp.resolve("b"), "--rootless");
        assertThat(xattrs.read(rootfs.resolve("owned"))).containsKey(FileInfo.ROOTLESS_XATTR);
        FileInfo info = FileInfo.read(rootfs, "owned", xattrs);
        assertThat(info.uid()).isEqualTo(1000);
        assertThat(info.gid()).isEqualTo(2000);
    }

    @Test
    void rootlessCodecRoundTrips() {
        assertThat(FileInfo.decodeRootless(FileInfo.encodeRootless(0, 0))).containsExactly(0, 0);
        assertThat(FileInfo.decodeRootless(FileInfo.encodeRootless(4294967294L, 1))).containsExactly(4294967294L, 1);
    }
}
