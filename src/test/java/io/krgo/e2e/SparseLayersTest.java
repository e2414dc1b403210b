package io.krgo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.testing.ForeignTar;
import io.krgo.testing.ForeignTree;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sparse file of 9 GiB apparent size with three data blocks, archived by GNU tar {@code --sparse} as PAX
 * sparse 1.0, 0.1 and 0.0 ({@code --format=posix}) and as old GNU type {@code S} ({@code --format=gnu}), pushed, pulled
 * by krgo as root and compared with GNU tar's own extraction (umoci writes holes as zeros): same size,
 * same bytes in every data region of either file, and holes kept (a few blocks allocated, not 9 GiB).
 */
class SparseLayersTest {
    private static final int GIB = 9;
    private static final String NAME = "var/lib/sparse.img";
    private static final List<String> FORMATS = List.of("posix-1.0", "posix-0.1", "posix-0.0", "gnu");

    @TempDir
    static Path work;
    static RegistryHarness registry;

    @BeforeAll
    static void build() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        Path tree = work.resolve("src");
        ForeignTree.sparse(tree.resolve(NAME), GIB);
        for (String format : FORMATS) {
            Path tar = ForeignTar.gnuSparse(tree, work.resolve(format + ".tar"), format);
            OciFixtures.pushImage(registry, work, "sparse/" + format + ":1", new PlatformImage("linux", "amd64", List.of(tar)));
        }
        // The source is no longer needed; free its blocks before krgo and tar write theirs.
        Tools.deleteTree(tree);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @ParameterizedTest(name = "GNU tar --sparse, {0}")
    @ValueSource(strings = {"posix-1.0", "posix-0.1", "posix-0.0", "gnu"})
    void sparseFileEqualsGnuTarsExtractionWithHolesKept(String format) {
        Path k = work.resolve("k-" + format);
        try {
            KrgoCli.Result pull = KrgoCli.inProcessWithStore(work.resolve("cache")).run("pull",
                    registry.host() + "/sparse/" + format + ":1", "-r", k.toString(), "-q");
            assertThat(pull.exitCode()).as("krgo pull of the %s sparse layer: %s", format, pull).isZero();
            Path ref = ForeignTar.gnuExtract(work.resolve(format + ".tar"), work.resolve("tar-" + format));
            JsonNode cmp = ForeignTar.sparseCompare(k.resolve(NAME), ref.resolve(NAME));
            assertThat(cmp.path("sizeA").asLong()).as("apparent size").isEqualTo((long) GIB << 30)
                    .isEqualTo(cmp.path("sizeB").asLong());
            assertThat(cmp.path("differAt")).as("offsets of data regions whose bytes differ: %s", cmp).isEmpty();
            // Three data blocks: at most a few MiB allocated (512-byte units), where zeros would be 9 GiB.
            assertThat(cmp.path("blocksB").asLong()).as("GNU tar keeps the holes").isLessThan(8192);
            assertThat(cmp.path("blocksA").asLong()).as("krgo keeps the holes: st_blocks %s", cmp).isLessThan(8192);
        } finally {
            Tools.deleteTree(k);
            Tools.deleteTree(work.resolve("tar-" + format));
        }
    }
}
