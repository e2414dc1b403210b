package io.krgo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.testing.ForeignTar;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Linux file name is bytes. Layers Python's tarfile wrote with names that are not UTF-8 (latin-1, as old
 * ustar/gnu writers leave them; PAX with {@code hdrcharset=BINARY}), a valid UTF-8 name holding U+FFFD and
 * a symlink target of latin-1 bytes: krgo writes the bytes as umoci does (both listed by Python as bytes),
 * and keeps them through {@code pull -g}, an edit, {@code commit} and {@code push} (the pushed layer read
 * by Python's tarfile).
 */
class ByteNamesTest {
    /** "bytes/caf\xe9": latin-1, not UTF-8. */
    private static final String CAFE_HEX = "62797465732f636166e9";

    @TempDir
    static Path work;
    static RegistryHarness registry;

    @BeforeAll
    static void build() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        for (String format : List.of("gnu", "pax")) {
            Path tar = work.resolve("bn-" + format + ".tar");
            ForeignTar.python("bytenames", format, tar.toString());
            OciFixtures.pushImage(registry, work, "bytes/" + format + ":1", new PlatformImage("linux", "amd64", List.of(tar)));
        }
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static KrgoCli cli() {
        return KrgoCli.inProcessWithStore(work.resolve("cache"));
    }

    @ParameterizedTest(name = "python tarfile {0} format")
    @ValueSource(strings = {"gnu", "pax"})
    void byteNamesAreWrittenAsUmociWritesThem(String format) {
        Path dir = work.resolve("k-" + format);
        KrgoCli.Result pull = cli().run("pull", registry.host() + "/bytes/" + format + ":1", "-r", dir.toString(), "-q");
        assertThat(pull.exitCode()).as("krgo pull of names that are bytes (%s): %s", format, pull).isZero();
        Path umoci = OciFixtures.unpack(work.resolve("layout-bytes_" + format + "_1"), "img", work.resolve("u-" + format));
        JsonNode krgo = ForeignTar.names(dir);
        assertThat(krgo.has(CAFE_HEX)).as("bytes/caf\\xe9 in krgo's tree: %s", krgo).isTrue();
        assertThat(krgo).as("names, types and contents as bytes: krgo vs umoci").isEqualTo(ForeignTar.names(umoci));
    }

    @Test
    void byteNamesSurviveGitCommitAndPush() {
        Path dir = work.resolve("git");
        KrgoCli.Result pull = cli().run("pull", registry.host() + "/bytes/pax:1", "-r", dir.toString(), "-g", "-q");
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        // Java cannot name it; the shell can: an edit of bytes/caf\xe9 puts that name into the new layer.
        Tools.run("bash", "-c", "cd \"$1\" && printf 'edited\\n' > \"$(printf 'bytes/caf\\351')\"", "edit", dir.toString());
        KrgoCli.Result commit = cli().run("commit", "-r", dir.toString(), "-m", "edit a latin-1 name", "-q");
        assertThat(commit.exitCode()).as(commit.toString()).isZero();
        KrgoCli.Result push = cli().run("push", registry.host() + "/bytes/edited:1", "-r", dir.toString(), "-q");
        assertThat(push.exitCode()).as(push.toString()).isZero();
        List<Path> layers = Skopeo.layerBlobs(registry, "bytes/edited:1", work.resolve("edited"));
        List<String> topNames = new ArrayList<>();
        ForeignTar.dump(layers.get(layers.size() - 1)).path("members").forEach(m -> topNames.add(m.path("nameHex").asText()));
        assertThat(topNames).as("names (hex) in the committed layer").contains(CAFE_HEX);
        Path layout = work.resolve("edited-layout");
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "docker://" + registry.host() + "/bytes/edited:1",
                "oci:" + layout + ":x");
        Path umoci = OciFixtures.unpack(layout, "x", work.resolve("edited-bundle"));
        assertThat(ForeignTar.names(umoci)).as("umoci's unpack of what krgo pushed vs krgo's tree")
                .isEqualTo(ForeignTar.names(dir));
    }
}
