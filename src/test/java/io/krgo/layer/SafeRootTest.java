package io.krgo.layer;

import io.krgo.sys.Trees;
import io.krgo.error.UnsafeImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeRootTest {
    @TempDir
    Path tmp;

    private SafeRoot root() throws Exception {
        Path r = tmp.resolve("root");
        Files.createDirectories(r.resolve("usr/lib"));
        Files.createSymbolicLink(r.resolve("lib"), Path.of("usr/lib"));
        Files.createSymbolicLink(r.resolve("abs"), Path.of("/usr"));
        Files.createSymbolicLink(r.resolve("up"), Path.of("../../../.."));
        Files.createSymbolicLink(r.resolve("loop"), Path.of("loop"));
        Files.writeString(r.resolve("file"), "f");
        return new SafeRoot(r);
    }

    private String rel(SafeRoot r, String name) {
        SafeRoot.Resolved res = r.resolve(name, false, null);
        assertThat(res.path()).isEqualTo(r.root().resolve(res.rel()));
        assertThat(res.path().normalize().startsWith(r.root())).isTrue();
        return res.rel();
    }

    @Test
    void stripsLeadingSlashesAndDotsLikeTar() throws Exception {
        SafeRoot r = root();
        assertThat(rel(r, "/etc/passwd")).isEqualTo("etc/passwd");
        assertThat(rel(r, "./etc//passwd")).isEqualTo("etc/passwd");
        assertThat(rel(r, "./")).isEmpty();
    }

    @Test
    void dotDotClampsAtTheRoot() throws Exception {
        SafeRoot r = root();
        assertThat(rel(r, "../../x")).isEqualTo("x");
        assertThat(rel(r, "usr/../../../etc/x")).isEqualTo("etc/x");
    }

    @Test
    void symlinksOnTheWayAreFollowedInsideTheRoot() throws Exception {
        SafeRoot r = root();
        assertThat(rel(r, "lib/libc.so")).isEqualTo("usr/lib/libc.so");
        assertThat(rel(r, "abs/lib/x")).isEqualTo("usr/lib/x");
        assertThat(rel(r, "up/etc/shadow")).isEqualTo("etc/shadow");
        assertThat(rel(r, "up/../../lib/z")).isEqualTo("usr/lib/z");
    }

    @Test
    void theFinalComponentIsNotFollowed() throws Exception {
        SafeRoot r = root();
        assertThat(rel(r, "lib")).isEqualTo("lib");
        assertThat(rel(r, "up")).isEqualTo("up");
    }

    @Test
    void refusesLoopsNonDirectoriesAndBadNames() throws Exception {
        SafeRoot r = root();
        assertThatThrownBy(() -> r.resolve("loop/x", false, null)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("too many levels of symbolic links");
        assertThatThrownBy(() -> r.resolve("file/x", false, null)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> r.resolve("a\0b", false, null)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> r.resolve("a/".repeat(2100), false, null)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("PATH_MAX");
        assertThatThrownBy(() -> r.resolve("x".repeat(256), false, null)).isInstanceOf(UnsafeImageException.class)
                .hasMessageContaining("255");
        assertThatThrownBy(() -> r.resolve("a/..", false, null)).isInstanceOf(UnsafeImageException.class);
    }

    @Test
    void createsMissingParentsAsDirectories() throws Exception {
        SafeRoot r = root();
        java.util.List<String> created = new java.util.ArrayList<>();
        SafeRoot.Resolved res = r.resolve("lib/new/deeper/file", true, created);
        assertThat(res.rel()).isEqualTo("usr/lib/new/deeper/file");
        assertThat(created).containsExactly("usr/lib/new", "usr/lib/new/deeper");
        assertThat(Files.isDirectory(r.root().resolve("usr/lib/new/deeper"))).isTrue();
    }

    @Test
    void aKnownDirectoryIsTakenAsItIsUntilForgotten() throws Exception {
        SafeRoot r = root();
        assertThat(rel(r, "lib/a")).isEqualTo("usr/lib/a"); // walked: usr/lib is now known
        assertThat(rel(r, "usr/lib/b")).isEqualTo("usr/lib/b"); // known: no lookups
        // A known directory replaced by a symlink (as an entry replacing it does, telling forget()):
        // names below it must follow the link again, never the stale directory.
        Files.createDirectories(r.root().resolve("usr/lib/sub"));
        assertThat(rel(r, "usr/lib/sub/e")).isEqualTo("usr/lib/sub/e");
        Path lib = r.root().resolve("usr/lib");
        Trees.deleteRecursively(lib);
        Files.createDirectories(r.root().resolve("opt/real/sub"));
        Files.createSymbolicLink(lib, Path.of("/opt/real"));
        r.forget("usr/lib");
        assertThat(rel(r, "usr/lib/sub/e")).isEqualTo("opt/real/sub/e");
        assertThat(rel(r, "usr/lib/c")).isEqualTo("opt/real/c");
        assertThat(rel(r, "usr/lib/../d")).isEqualTo("opt/d"); // ".." after a link: always walked
        // A parent created on the way is known from then on, and resolves to itself.
        SafeRoot.Resolved made = r.resolve("new/dir/x", true, new java.util.ArrayList<>());
        assertThat(made.rel()).isEqualTo("new/dir/x");
        assertThat(rel(r, "new/dir/y")).isEqualTo("new/dir/y");
        assertThat(rel(r, "new/dir/../z")).isEqualTo("new/z");
    }
}
