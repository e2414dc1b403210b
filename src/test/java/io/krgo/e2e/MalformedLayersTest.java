package io.krgo.e2e;

import io.krgo.testing.ForeignTar;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layers made by editing a real GNU tar archive (a bad header checksum, a cut in a header, a body or a PAX
 * record, PAX records whose length lies, absurd or negative sizes): {@code krgo pull} exits 7 with a
 * one-line message, and nothing is written outside its staging directory (the target does not exist
 * afterwards and its parent holds what it held; an existing target is unchanged). So does an xattr value
 * that the kernel refuses (Python's tarfile wrote it).
 */
class MalformedLayersTest {
    private static final List<String> KINDS = List.of("badsum", "cut-header", "cut-body", "cut-pax", "pax-length-lie",
            "pax-huge-length", "absurd-size", "negative-size", "pax-header-absurd-size", "pax-size-absurd");

    /** Kinds where the broken entry's name is known: the last file, {@code etc/third}. */
    private static final List<String> NAMED_ENTRY = List.of("cut-body", "absurd-size", "negative-size", "pax-size-absurd");

    @TempDir
    static Path work;
    static RegistryHarness registry;

    @BeforeAll
    static void build() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        Path tree = work.resolve("src");
        // A long name gives the first file a PAX header (path record); two files with bodies follow it.
        Tools.run("bash", "-c", """
                set -eu; mkdir -p "$1/etc"; cd "$1"
                printf 'first file body %.0s' $(seq 1 40) > "etc/$(printf 'l%.0s' $(seq 1 120))"
                printf 'second\\n' > etc/second
                printf 'third file, the last with a body %.0s' $(seq 1 30) > etc/third
                """, "tree", tree.toString());
        Path good = ForeignTar.gnuTar(tree, work.resolve("good.tar"), "--format=posix", "--sort=name");
        for (String kind : KINDS) {
            Path bad = ForeignTar.broken(kind, good, work.resolve(kind + ".tar"));
            OciFixtures.pushImage(registry, work, "broken/" + kind + ":1", new PlatformImage("linux", "amd64", List.of(bad)));
        }
        OciFixtures.pushImage(registry, work, "broken/good:1", new PlatformImage("linux", "amd64", List.of(good)));
        Path badcap = work.resolve("badcap.tar");
        ForeignTar.python("badcap", badcap.toString());
        OciFixtures.pushImage(registry, work, "broken/badcap:1", new PlatformImage("linux", "amd64", List.of(badcap)));
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static KrgoCli.Result pull(String kind, Path dir, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("pull", registry.host() + "/broken/" + kind + ":1", "-r",
                dir.toString(), "-q"));
        args.addAll(List.of(extra));
        return KrgoCli.inProcessWithStore(work.resolve("cache")).run(args.toArray(String[]::new));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"badsum", "cut-header", "cut-body", "cut-pax", "pax-length-lie", "pax-huge-length",
            "absurd-size", "negative-size", "pax-header-absurd-size", "pax-size-absurd"})
    void malformedLayerIsExit7AndWritesNothing(String kind) throws IOException {
        Path parent = Files.createDirectories(work.resolve("new-" + kind));
        Path dir = parent.resolve("rootfs");
        KrgoCli.Result r = pull(kind, dir);
        assertThat(r.exitCode()).as("%s: %s", kind, r).isEqualTo(7);
        assertThat(r.stderr().strip().lines()).as("one line: %s", r.stderr()).hasSize(1);
        assertThat(r.stderr()).as("names the problem").startsWith("krgo: ").doesNotContain("Exception");
        if (NAMED_ENTRY.contains(kind)) {
            // Its header is intact up to the size: the message can and must name the entry.
            assertThat(r.stderr()).as("names the entry: %s", r.stderr()).contains("etc/third");
        }
        assertThat(dir).as("the target of a failed pull").doesNotExist();
        try (Stream<Path> s = Files.list(parent)) {
            assertThat(s.toList()).as("nothing beside the target either (staging dir, records)").isEmpty();
        }
    }

    @Test
    void malformedLayerOverAnExistingRootfsWithForceLeavesItUnchanged() throws IOException {
        Path dir = work.resolve("existing/rootfs");
        assertThat(pull("good", dir).exitCode()).isZero();
        TreeSnapshot before = TreeSnapshot.of(dir.getParent());
        for (String kind : List.of("badsum", "cut-body", "pax-length-lie")) {
            KrgoCli.Result r = pull(kind, dir, "--force");
            assertThat(r.exitCode()).as("%s over an existing rootfs: %s", kind, r).isEqualTo(7);
            assertThat(TreeSnapshot.of(dir.getParent()).diff(before)).as("after %s", kind).isEmpty();
        }
    }

    /**
     * A value in the image that the kernel refuses (a 3-byte security.capability: EINVAL) is the image's
     * fault, exit 7, and the message names the xattr with its namespace and the errno's text.
     */
    @Test
    void xattrValueTheKernelRefusesIsExit7NamingIt() throws IOException {
        Path parent = Files.createDirectories(work.resolve("badcap"));
        KrgoCli.Result r = pull("badcap", parent.resolve("rootfs"));
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(7);
        assertThat(r.stderr().strip().lines()).hasSize(1);
        assertThat(r.stderr()).contains("security.capability").contains("bin/capped").contains("Invalid argument");
        try (Stream<Path> s = Files.list(parent)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void theUneditedArchiveIsFine() throws IOException {
        Path dir = work.resolve("good/rootfs");
        KrgoCli.Result r = pull("good", dir);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(Files.readString(dir.resolve("etc/second"))).isEqualTo("second\n");
        assertThat(Files.readString(dir.resolve("etc/" + "l".repeat(120)))).startsWith("first file body");
    }
}
