package io.krgo.runtime;

import io.krgo.error.NotFoundException;
import io.krgo.error.UnsafeImageException;
import io.krgo.error.UsageException;
import io.krgo.layer.RootfsFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every form of User, resolved in the rootfs's own files, and rootfs files that try to escape or exhaust. */
class UserResolverTest {
    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void rootfs() throws IOException {
        root = Files.createDirectories(tmp.resolve("rootfs/etc"));
        root = tmp.resolve("rootfs");
        write("etc/passwd", "# comment\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n"
                + "broken line\nweb:x:33:33::/var/www:/bin/false\n");
        write("etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:web,app\nwww:x:33:\nother:x:3000:web\n");
    }

    private void write(String rel, String content) throws IOException {
        Files.writeString(root.resolve(rel), content, StandardCharsets.UTF_8);
    }

    private ContainerUser resolve(String spec) {
        return new UserResolver(new RootfsFiles(root)).resolve(spec);
    }

    @Test
    void everyFormAsRuncResolvesIt() {
        assertThat(resolve("")).isEqualTo(new ContainerUser(0, 0, List.of(), "root", "/root"));
        assertThat(resolve("app")).isEqualTo(new ContainerUser(1000, 1000, List.of(2000L), "app", "/home/app"));
        assertThat(resolve("web")).isEqualTo(new ContainerUser(33, 33, List.of(2000L, 3000L), "web", "/var/www"));
        assertThat(resolve("1000")).isEqualTo(new ContainerUser(1000, 1000, List.of(2000L), "app", "/home/app"));
        assertThat(resolve("4242")).isEqualTo(new ContainerUser(4242, 0, List.of(), null, null));
        // an explicit group: no supplementary groups (runc's rule)
        assertThat(resolve("app:www")).isEqualTo(new ContainerUser(1000, 33, List.of(), "app", "/home/app"));
        assertThat(resolve("app:77")).isEqualTo(new ContainerUser(1000, 77, List.of(), "app", "/home/app"));
        assertThat(resolve("4242:extra")).isEqualTo(new ContainerUser(4242, 2000, List.of(), null, null));
        assertThat(resolve("4242:4343")).isEqualTo(new ContainerUser(4242, 4343, List.of(), null, null));
    }

    @Test
    void absentNamesAreClearErrors() {
        assertThatThrownBy(() -> resolve("nobody")).isInstanceOf(NotFoundException.class)
                .hasMessage("user 'nobody' not found in /etc/passwd of " + root);
        assertThatThrownBy(() -> resolve("app:nogroup")).isInstanceOf(NotFoundException.class)
                .hasMessage("group 'nogroup' not found in /etc/group of " + root);
        assertThatThrownBy(() -> resolve("app:")).isInstanceOf(UsageException.class);
    }

    @Test
    void aPasswdSymlinkToTheHostsShadowIsResolvedInsideTheRootfs() throws IOException {
        assertThat(Files.exists(Path.of("/etc/shadow"))).as("the host has /etc/shadow").isTrue();
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("/etc/shadow"));
        // the rootfs has no /etc/shadow: the link dangles inside it, and the host's root entry is not read
        assertThatThrownBy(() -> resolve("root")).isInstanceOf(NotFoundException.class);
        write("etc/shadow", "app:x:1234:1234::/in/rootfs:/bin/sh\n");
        assertThat(resolve("app").uid()).isEqualTo(1234);
        // relative escapes clamp at the rootfs too
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("../../../../../../etc/shadow"));
        assertThat(resolve("app").home()).isEqualTo("/in/rootfs");
    }

    @Test
    void aPasswdSymlinkToTheRootfsRootReadsNothing() throws IOException {
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("../../.."));
        assertThatThrownBy(() -> resolve("app")).isInstanceOf(NotFoundException.class);
        assertThat(resolve("1000")).isEqualTo(new ContainerUser(1000, 0, List.of(), null, null));
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("passwd")); // a loop
        assertThatThrownBy(() -> resolve("app")).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("too many levels of symbolic links");
    }

    @Test
    void aHugeGroupFileIsRefusedAfterABoundedRead() throws IOException {
        try (OutputStream out = Files.newOutputStream(root.resolve("etc/group"))) {
            byte[] line = ("g:x:5:" + "m,".repeat(40_000) + "\n").getBytes(StandardCharsets.US_ASCII);
            for (long written = 0; written <= RootfsFiles.MAX_FILE_BYTES; written += line.length) {
                out.write(line); // lines longer than the line limit, too: skipped, never buffered whole
            }
        }
        assertThatThrownBy(() -> resolve("app")).isInstanceOf(UnsafeImageException.class)
                .hasMessage("/etc/group in " + root + " is larger than 16 MiB; refusing to read it");
        // an over-long line is skipped; the lines after it still count
        write("etc/group", "app:x:1000:\n" + "x".repeat(RootfsFiles.MAX_LINE_BYTES + 10) + ":x:1:app\nlate:x:9:app\n");
        assertThat(resolve("app").additionalGids()).containsExactly(9L);
    }
}
