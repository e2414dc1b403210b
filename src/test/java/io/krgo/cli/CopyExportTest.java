package io.krgo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.image.Digest;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import io.krgo.testing.Umoci;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.krgo.cli.InspectCommandsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** copy, export (OCI layout, docker-archive) and pull from a layout, cross-checked with skopeo and umoci. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CopyExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RegistryHarness registry;
    private Path work;
    private Path home;
    private String host;
    private TreeSnapshot pulled;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        host = registry.host();
        work = Files.createTempDirectory("krgo-copy-test");
        home = Files.createDirectories(work.resolve("home"));
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        Path l2 = Fixtures.secondLayer(work.resolve("l2.tar"));
        OciFixtures.pushImage(registry, work, "demo/app:v1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        OciFixtures.pushIndex(registry, work, "demo/multi:latest", List.of(
                new PlatformImage("linux", "amd64", List.of(l1)),
                new PlatformImage("linux", "arm64", List.of(l1, l2))));
        KrgoCli.Result pull = krgo("pull", host + "/demo/app:v1", "-r", work.resolve("pulled").toString(), "-q");
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        pulled = TreeSnapshot.of(work.resolve("pulled"));
        assertThat(pulled.nodes()).containsKeys("etc/hello.txt", "etc/second.txt", "bin/tool", "var/secret/key")
                .doesNotContainKey("bin/tool-link");
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String... args) {
        return KrgoCli.runInProcess(home, null, args);
    }

    private KrgoCli.Result ok(String... args) {
        KrgoCli.Result r = krgo(args);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private String rawOf(String image) {
        return Skopeo.inspectRaw(registry, image);
    }

    @Test
    void copyWithinARegistryMountsTheLayers() throws Exception {
        KrgoCli.Result r = ok("copy", "--json", host + "/demo/app:v1", host + "/other/app:copied");
        JsonNode json = JSON.readTree(r.stdoutBytes());
        assertThat(json.path("layers").path("mounted").asInt()).isEqualTo(2);
        assertThat(json.path("layers").path("uploaded").asInt()).isZero();
        assertThat(registry.countRequests("POST", "/v2/other/app/blobs/uploads/\\?.*mount=sha256:[a-f0-9]{64}.*"))
                .isEqualTo(2);
        // the manifest is copied byte for byte: same digest
        assertThat(rawOf("other/app:copied")).isEqualTo(rawOf("demo/app:v1"));
        assertThat(json.path("digest").asText())
                .isEqualTo(Digest.sha256(rawOf("demo/app:v1").getBytes(StandardCharsets.UTF_8)).toString());
    }

    @Test
    void copyAllKeepsTheIndexAndItsDigest() throws Exception {
        KrgoCli.Result r = ok("copy", "--all", host + "/demo/multi:latest", host + "/mirror/multi:1");
        String source = rawOf("demo/multi:latest");
        assertThat(rawOf("mirror/multi:1")).isEqualTo(source);
        String digest = Digest.sha256(source.getBytes(StandardCharsets.UTF_8)).toString();
        assertThat(r.stdout()).contains(digest);
        for (JsonNode m : JSON.readTree(source).path("manifests")) {
            String d = m.path("digest").asText();
            assertThat(Digest.sha256(rawOf("mirror/multi@" + d).getBytes(StandardCharsets.UTF_8)).toString()).isEqualTo(d);
        }
        // and what the index names can be pulled
        KrgoCli.Result pull = ok("pull", host + "/mirror/multi:1", "--platform", "linux/arm64", "-r",
                work.resolve("arm").toString(), "-q");
        assertThat(TreeSnapshot.of(work.resolve("arm")).diff(pulled)).isEmpty();
        assertThat(pull.stdout()).contains("Done");
    }

    @Test
    void copyWithoutAllTakesOnePlatform() throws Exception {
        ok("copy", "--platform", "linux/arm64", host + "/demo/multi:latest", host + "/mirror/arm:1");
        String arm = null;
        for (JsonNode m : JSON.readTree(rawOf("demo/multi:latest")).path("manifests")) {
            if (m.path("platform").path("architecture").asText().equals("arm64")) {
                arm = m.path("digest").asText();
            }
        }
        assertThat(Digest.sha256(rawOf("mirror/arm:1").getBytes(StandardCharsets.UTF_8)).toString()).isEqualTo(arm);
    }

    @Test
    void exportOciIsReadByUmociAndByPull() throws Exception {
        Path layout = work.resolve("layout");
        ok("export", host + "/demo/app:v1", "--oci", layout.toString());
        Path bundle = work.resolve("bundle");
        Umoci.run("unpack", "--image", layout + ":v1", bundle.toString());
        assertThat(TreeSnapshot.of(bundle.resolve("rootfs")).diff(pulled)).isEmpty();

        Path fromLayout = work.resolve("from-layout");
        KrgoCli.Result r = ok("pull", "oci:" + layout + ":v1", "-r", fromLayout.toString());
        assertThat(r.stdout()).contains("Done");
        assertThat(TreeSnapshot.of(fromLayout).diff(pulled)).isEmpty();
        // the only image of a layout needs no tag
        Path untagged = work.resolve("from-layout-untagged");
        ok("pull", "oci:" + layout, "-r", untagged.toString(), "-q");
        assertThat(TreeSnapshot.of(untagged).diff(pulled)).isEmpty();
        // skopeo reads it too, and sees the same manifest
        assertThat(Skopeo.run("inspect", "--raw", "oci:" + layout + ":v1")).isEqualTo(rawOf("demo/app:v1"));
    }

    @Test
    void exportAllWritesTheIndexWithItsDigest() throws Exception {
        Path layout = work.resolve("layout-all");
        ok("export", "--all", host + "/demo/multi:latest", "--oci", layout.toString(), "--tag", "multi");
        String index = rawOf("demo/multi:latest");
        assertThat(Skopeo.run("inspect", "--raw", "oci:" + layout + ":multi")).isEqualTo(index);
        Path arm = work.resolve("arm-from-layout");
        ok("pull", "oci:" + layout + ":multi", "--platform", "linux/arm64", "-r", arm.toString(), "-q");
        assertThat(TreeSnapshot.of(arm).diff(pulled)).isEmpty();
        // skopeo can push the whole layout back: same index digest
        Skopeo.copyTo(registry, "oci:" + layout + ":multi", "fromlayout/multi:1", "--all");
        assertThat(rawOf("fromlayout/multi:1")).isEqualTo(index);
        assertError(krgo("export", "--all", host + "/demo/multi:latest", "--tar", work.resolve("all.tar").toString()),
                1, "--oci");
    }

    @Test
    void exportTarIntoAPipeWritesIntoItAndKeepsIt() throws Exception {
        // --tar naming a FIFO (as /dev/stdout can be) is written into, not renamed over: the same bytes as a file
        Path file = work.resolve("file.tar");
        ok("export", host + "/demo/app:v1", "--tar", file.toString());
        Path fifo = work.resolve("pipe.tar");
        Path received = work.resolve("received.tar");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
        Process reader = new ProcessBuilder("cat", fifo.toString()).redirectOutput(received.toFile()).start();
        try {
            ok("export", host + "/demo/app:v1", "--tar", fifo.toString());
            assertThat(reader.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("the pipe was written").isTrue();
        } finally {
            reader.destroyForcibly();
        }
        assertThat((Integer) Files.readAttributes(fifo, "unix:mode").get("mode") & 0170000).as("still a FIFO")
                .isEqualTo(0010000);
        assertThat(Files.isRegularFile(fifo)).isFalse();
        assertThat(Files.readAllBytes(received)).isEqualTo(Files.readAllBytes(file));
    }

    @Test
    void exportTarIsADockerArchiveSkopeoReads() throws Exception {
        Path tar = work.resolve("app.tar");
        ok("export", host + "/demo/app:v1", "--tar", tar.toString());
        Map<String, byte[]> entries = new HashMap<>();
        try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                if (e.isFile()) {
                    entries.put(e.getName(), t.readAllBytes());
                }
            }
        }
        JsonNode manifest = JSON.readTree(entries.get("manifest.json"));
        assertThat(manifest).hasSize(1);
        assertThat(manifest.get(0).path("RepoTags").get(0).asText()).isEqualTo(host + "/demo/app:v1");
        assertThat(manifest.get(0).path("Layers")).hasSize(2);

        JsonNode inspected = JSON.readTree(Skopeo.run("inspect", "docker-archive:" + tar));
        assertThat(inspected.path("Architecture").asText()).isEqualTo("amd64");
        assertThat(inspected.path("Layers")).hasSize(2);
        Path layout = work.resolve("from-archive");
        Skopeo.run("copy", "--quiet", "docker-archive:" + tar, "oci:" + layout + ":x");
        Path bundle = work.resolve("archive-bundle");
        Umoci.run("unpack", "--image", layout + ":x", bundle.toString());
        assertThat(TreeSnapshot.of(bundle.resolve("rootfs")).diff(pulled)).isEmpty();
    }

    @Test
    void pushAndCopyPrintJsonResults() throws Exception {
        Path dir = Files.createDirectories(work.resolve("plain"));
        Files.writeString(dir.resolve("file.txt"), "pushed as one layer\n");
        JsonNode pushed = JSON.readTree(ok("push", host + "/pushed/plain:1", "-r", dir.toString(), "--json").stdoutBytes());
        assertThat(pushed.path("layers").path("uploaded").asInt()).isEqualTo(1);
        assertThat(pushed.path("digest").asText())
                .isEqualTo(Digest.sha256(rawOf("pushed/plain:1").getBytes(StandardCharsets.UTF_8)).toString());
        assertThat(ok("digest", host + "/pushed/plain:1").stdout().strip()).isEqualTo(pushed.path("digest").asText());
    }

    @Test
    void errorsAreOneLineWithTheirExitCode() {
        assertError(krgo("export", host + "/demo/app:v1"), 1, "--oci");
        assertError(krgo("export", host + "/demo/app:v1", "--oci", "a", "--tar", "b"), 1, "mutually exclusive");
        assertError(krgo("export", host + "/demo/app:v1", "--tar", work.resolve("x.tar").toString(), "--tag", "nocolon"),
                1, "REPOSITORY:TAG");
        assertError(krgo("pull", "oci:" + work.resolve("no-such-layout"), "-r", work.resolve("r1").toString()), 2,
                "no-such-layout");
        assertError(krgo("copy", host + "/demo/app:nope", host + "/other/app:x"), 2, "not found");
        assertError(krgo("copy", host + "/demo/app:v1", host + "/other/app@sha256:" + "a".repeat(64)), 1, "digest");
        assertError(krgo("export", host + "/demo/multi:latest", "--platform", "linux/s390x", "--oci",
                work.resolve("l2").toString()), 2, "linux/arm64");
        assertThat(work.resolve("x.tar")).doesNotExist();
        Path two = work.resolve("two-images");
        ok("export", host + "/demo/app:v1", "--oci", two.toString(), "--tag", "a");
        ok("export", host + "/demo/multi:latest", "--oci", two.toString(), "--tag", "b");
        assertError(krgo("pull", "oci:" + two, "-r", work.resolve("r2").toString()), 2, "a, b");
        assertError(krgo("pull", "oci:" + two + ":c", "-r", work.resolve("r3").toString()), 2, "'c'");
        Path notADir = work.resolve("plain-file");
        try {
            Files.writeString(notADir, "x");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertError(krgo("export", host + "/demo/app:v1", "--tar", notADir.resolve("x.tar").toString()), 6,
                "plain-file");
    }
}
