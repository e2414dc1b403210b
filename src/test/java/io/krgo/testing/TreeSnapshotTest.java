package io.krgo.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The comparison options mean what they say, so tests that ask for them are as strict as they think. */
class TreeSnapshotTest {
    @TempDir
    Path tmp;

    @Test
    void symlinkMtimesAreMicrosecondsUnlessNanosecondsAreAskedFor() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.createSymbolicLink(a.resolve("l"), Path.of("t"));
        Files.createSymbolicLink(b.resolve("l"), Path.of("t"));
        // the JDK sets a symlink's times to the microsecond only; touch -h uses utimensat (nanoseconds)
        Tools.run("touch", "-h", "-d", "@1700000000.123456001", a.resolve("l").toString());
        Tools.run("touch", "-h", "-d", "@1700000000.123456999", b.resolve("l").toString());

        assertThat(TreeSnapshot.of(a).diff(TreeSnapshot.of(b))).isEmpty();
        Set<TreeSnapshot.Option> nanos = Set.of(TreeSnapshot.Option.SYMLINK_MTIME_NANOS);
        assertThat(TreeSnapshot.of(a, nanos).diff(TreeSnapshot.of(b, nanos))).singleElement().asString()
                .startsWith("l: mtime");
        assertThat(TreeSnapshot.of(a, nanos).nodes().get("l").mtime())
                .isEqualTo(FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 123_456_001L)));
    }

    @Test
    void aLinkFromOutsideCountsOnlyWhenAskedFor() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tree"));
        Files.writeString(tree.resolve("f"), "x");
        Files.createLink(tmp.resolve("outside"), tree.resolve("f"));
        Files.createSymbolicLink(tree.resolve("s"), Path.of("f"));
        Files.createLink(tree.resolve("s2"), tree.resolve("s")); // a hardlinked symlink is a group too

        TreeSnapshot plain = TreeSnapshot.of(tree);
        assertThat(plain.nodes().get("f").hardlinkGroup()).isNull();
        assertThat(plain.nodes().get("s2").hardlinkGroup()).isEqualTo("s");
        TreeSnapshot strict = TreeSnapshot.of(tree, Set.of(TreeSnapshot.Option.LINKS_FROM_OUTSIDE));
        assertThat(strict.nodes().get("f").hardlinkGroup()).isEqualTo("f");
        assertThat(strict.nodes().get("s2").hardlinkGroup()).isEqualTo("s");
    }
}
