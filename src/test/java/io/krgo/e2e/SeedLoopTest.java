package io.krgo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
import io.krgo.testing.Umoci;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 2015 tool's loop, end to end through the CLI against a real registry: pull -g, push unchanged,
 * change, commit, push, and what krgo pushed read back by the independent peers skopeo and umoci.
 */
class SeedLoopTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    static RegistryHarness registry;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        Path l1 = work.resolve("l1.tar");
        Path l2 = work.resolve("l2.tar");
        new TarBuilder()
                .dir("etc", 0755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .file("etc/os-release", "ID=fixture\n".getBytes(StandardCharsets.UTF_8), 0644, 0, 0, TarBuilder.DEFAULT_MTIME)
                .dir("usr", 0755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .dir("usr/bin", 0755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .file("usr/bin/tool", "#!/bin/sh\necho tool\n".getBytes(StandardCharsets.UTF_8), 04755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .symlink("bin", "usr/bin")
                .dir("home", 0755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .dir("home/user", 0700, 1000, 1000, TarBuilder.DEFAULT_MTIME)
                .file("home/user/notes.txt", "mine".getBytes(StandardCharsets.UTF_8), 0600, 1000, 1000, TarBuilder.DEFAULT_MTIME)
                .writeTo(l1);
        new TarBuilder()
                .dir("srv", 0755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .file("srv/index.html", "v1".getBytes(StandardCharsets.UTF_8), 0644, 33, 33, TarBuilder.DEFAULT_MTIME)
                .hardlink("srv/index-copy.html", "srv/index.html")
                .whiteout("etc/os-release")
                .writeTo(l2);
        base = "seed/base:1";
        OciFixtures.pushImage(registry, work, base, new PlatformImage("linux", "amd64", List.of(l1, l2)));
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static KrgoCli cli() {
        return KrgoCli.inProcessWithStore(work.resolve("cache"));
    }

    private String ref(String repoAndTag) {
        return registry.host() + "/" + repoAndTag;
    }

    @Test
    void pullGitPushUnchangedReproducesTheSourceManifest() throws Exception {
        Path dir = work.resolve("unchanged");
        KrgoCli.Result pull = cli().run("pull", ref(base), "-r", dir.toString(), "-g");
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        assertThat(pull.stdout()).contains("Done. Rootfs of");
        assertThat(dir.resolve(".git")).doesNotExist();
        assertThat(dir.getParent().resolve(".unchanged.krgo/git")).isDirectory();

        long mountsBefore = registry.countRequests("POST", ".*/blobs/uploads/.*");
        KrgoCli.Result push = cli().run("push", ref("seed/copy:1"), "-r", dir.toString());
        assertThat(push.exitCode()).as(push.toString()).isZero();
        assertThat(push.stdout()).contains("2 mounted");

        String source = Skopeo.inspectRaw(registry, base);
        String copy = Skopeo.inspectRaw(registry, "seed/copy:1");
        assertThat(sha256(copy)).isEqualTo(sha256(source));
        assertThat(push.stdout()).contains("sha256:" + sha256(source));
        // The two layers were mounted, not uploaded: only mount POSTs, no PATCH/PUT of layer bytes.
        assertThat(registry.countRequests("POST", ".*/seed/copy/blobs/uploads/\\?mount=.*")).isEqualTo(2);
        assertThat(registry.countRequests("POST", ".*/blobs/uploads/.*") - mountsBefore).isGreaterThanOrEqualTo(2);

        // Pushing the same again: every blob is already there.
        KrgoCli.Result again = cli().run("push", ref("seed/copy:1"), "-r", dir.toString());
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).contains("0 uploaded, 0 mounted, 2 already there");
    }

    @Test
    void commitThenPushIsReadBackBySkopeoAndUmociAsTheSameTree() throws Exception {
        Path dir = work.resolve("changed");
        assertThat(cli().run("pull", ref(base), "-r", dir.toString(), "-g").exitCode()).isZero();

        Files.writeString(dir.resolve("srv/index.html"), "v2 edited by krgo");
        Files.delete(dir.resolve("home/user/notes.txt"));
        Files.createDirectories(dir.resolve("opt/app"));
        Files.writeString(dir.resolve("opt/app/run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(dir.resolve("opt/app/run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.setAttribute(dir.resolve("opt/app/run.sh"), "unix:uid", 4242);
        Files.createSymbolicLink(dir.resolve("opt/app/current"), Path.of("run.sh"));

        KrgoCli.Result commit = cli().run("commit", "-r", dir.toString(), "-m", "edit index, add app");
        assertThat(commit.exitCode()).as(commit.toString()).isZero();
        assertThat(commit.stdout()).containsPattern("Changes committed in layer_2_[0-9a-f]{12}")
                .containsPattern("Image ID: sha256:[0-9a-f]{64}")
                .containsPattern("Parent: sha256:[0-9a-f]{64}")
                .containsPattern("Layer: sha256:[0-9a-f]{64}")
                .containsPattern("Layer size: [1-9][0-9]*");

        KrgoCli.Result nothing = cli().run("commit", "-r", dir.toString(), "-m", "again");
        assertThat(nothing.exitCode()).isEqualTo(1);
        assertThat(nothing.stderr()).contains("nothing to commit");

        KrgoCli.Result push = cli().run("push", ref("seed/changed:2"), "-r", dir.toString());
        assertThat(push.exitCode()).as(push.toString()).isZero();
        assertThat(push.stdout()).contains("1 uploaded");

        JsonNode source = JSON.readTree(Skopeo.inspectRaw(registry, base));
        JsonNode pushed = JSON.readTree(Skopeo.inspectRaw(registry, "seed/changed:2"));
        assertThat(pushed.path("layers")).hasSize(3);
        for (int i = 0; i < 2; i++) {
            assertThat(pushed.path("layers").get(i).path("digest").asText())
                    .isEqualTo(source.path("layers").get(i).path("digest").asText());
        }
        validateManifestAndConfig(pushed, "seed/changed:2");

        // The peers turn what krgo pushed into a rootfs identical to DIR.
        Path layout = work.resolve("peer-layout");
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "docker://" + ref("seed/changed:2"), "oci:" + layout + ":x");
        Path bundle = work.resolve("peer-bundle");
        Umoci.run("unpack", "--image", layout + ":x", bundle.toString());
        List<String> diff = TreeSnapshot.of(dir).diff(TreeSnapshot.of(bundle.resolve("rootfs")));
        assertThat(diff).as("krgo rootfs vs umoci unpack of what krgo pushed").isEmpty();

        // And krgo pulls it back the same way.
        Path back = work.resolve("back");
        assertThat(cli().run("pull", ref("seed/changed:2"), "-r", back.toString()).exitCode()).isZero();
        assertThat(TreeSnapshot.of(back).diff(TreeSnapshot.of(dir))).isEmpty();
    }

    @Test
    void plainDirectoryPushesAsOneLayerInEitherFormat() throws Exception {
        Path dir = work.resolve("plain");
        Files.createDirectories(dir.resolve("data/sub"));
        Files.writeString(dir.resolve("data/sub/a.txt"), "alpha");
        Files.writeString(dir.resolve("data/b.txt"), "beta");
        Files.createLink(dir.resolve("data/b-link.txt"), dir.resolve("data/b.txt"));

        KrgoCli.Result oci = cli().run("push", ref("plain/dir:oci"), "-r", dir.toString(), "--platform", "linux/arm64");
        assertThat(oci.exitCode()).as(oci.toString()).isZero();
        JsonNode m = JSON.readTree(Skopeo.inspectRaw(registry, "plain/dir:oci"));
        assertThat(m.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(m.path("layers")).hasSize(1);
        validateManifestAndConfig(m, "plain/dir:oci");
        JsonNode config = JSON.readTree(Skopeo.run("inspect", "--config", "--raw", "--tls-verify=false",
                "docker://" + ref("plain/dir:oci")));
        assertThat(config.path("architecture").asText()).isEqualTo("arm64");

        KrgoCli.Result docker = cli().run("push", ref("plain/dir:docker"), "-r", dir.toString(), "--format", "docker");
        assertThat(docker.exitCode()).as(docker.toString()).isZero();
        JsonNode d = JSON.readTree(Skopeo.inspectRaw(registry, "plain/dir:docker"));
        assertThat(d.path("mediaType").asText()).isEqualTo("application/vnd.docker.distribution.manifest.v2+json");
        assertThat(d.path("config").path("mediaType").asText()).isEqualTo("application/vnd.docker.container.image.v1+json");
        assertThat(d.path("layers").get(0).path("mediaType").asText())
                .isEqualTo("application/vnd.docker.image.rootfs.diff.tar.gzip");

        Path layout = work.resolve("plain-layout");
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "docker://" + ref("plain/dir:docker"), "oci:" + layout + ":x");
        Path bundle = work.resolve("plain-bundle");
        Umoci.run("unpack", "--image", layout + ":x", bundle.toString());
        assertThat(TreeSnapshot.of(dir).diff(TreeSnapshot.of(bundle.resolve("rootfs")))).isEmpty();
    }

    @Test
    void warmAndRepeatedPullsFetchNoBlob() {
        KrgoCli cli = KrgoCli.inProcessWithStore(work.resolve("warm-cache"));
        assertThat(cli.run("pull", ref(base), "-r", work.resolve("warm-1").toString()).exitCode()).isZero();
        long blobGets = registry.countRequests("GET", ".*/blobs/sha256:.*");

        KrgoCli.Result warm = cli.run("pull", ref(base), "-r", work.resolve("warm-2").toString());
        assertThat(warm.exitCode()).as(warm.toString()).isZero();
        KrgoCli.Result again = cli.run("pull", ref(base), "-r", work.resolve("warm-2").toString());
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).contains("Already up to date");

        assertThat(registry.countRequests("GET", ".*/blobs/sha256:.*")).as("blob GETs after the first pull")
                .isEqualTo(blobGets);
        assertThat(TreeSnapshot.of(work.resolve("warm-2")).diff(TreeSnapshot.of(work.resolve("warm-1")))).isEmpty();
    }

    @Test
    void errorsAreOneLineWithTheirExitCodes() {
        KrgoCli.Result badRef = cli().run("pull", "Not A Ref", "-r", work.resolve("x").toString());
        assertThat(badRef.exitCode()).isEqualTo(1);
        assertThat(badRef.stderr().strip()).startsWith("krgo: invalid image reference").doesNotContain("\n");

        KrgoCli.Result missing = cli().run("pull", ref("seed/nothing:1"), "-r", work.resolve("y").toString());
        assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(2);
        assertThat(missing.stderr().strip()).doesNotContain("\n");
        assertThat(work.resolve("y")).doesNotExist();

        KrgoCli.Result notGit = cli().run("commit", "-r", work.resolve("nowhere").toString(), "-m", "x");
        assertThat(notGit.exitCode()).isEqualTo(1);

        KrgoCli.Result unreachable = cli().run("pull", "127.0.0.1:1/a/b:c", "-r", work.resolve("z").toString());
        assertThat(unreachable.exitCode()).isEqualTo(4);
        assertThat(unreachable.stderr()).contains("unreachable");

        KrgoCli.Result pushDigest = cli().run("push", ref("seed/x@sha256:" + "0".repeat(64)), "-r", work.toString());
        assertThat(pushDigest.exitCode()).isEqualTo(1);
    }

    @Test
    void pushAndPullWithBasicAndTokenAuth() throws Exception {
        for (Mode mode : List.of(Mode.BASIC, Mode.TOKEN)) {
            try (RegistryHarness secured = RegistryHarness.start(mode)) {
                Path dir = work.resolve("auth-" + mode);
                Files.createDirectories(dir.resolve("etc"));
                Files.writeString(dir.resolve("etc/motd"), "hello " + mode);
                String target = secured.host() + "/team/app:1";

                KrgoCli.Result anonymous = cli().run("push", target, "-r", dir.toString());
                assertThat(anonymous.exitCode()).as(anonymous.toString()).isEqualTo(3);

                KrgoCli.Result wrong = cli().runWithStdin("not-the-password\n", "push", target, "-r", dir.toString(),
                        "-u", secured.username(), "--password-stdin");
                assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(3);
                assertThat(wrong.stdout() + wrong.stderr()).doesNotContain("not-the-password");

                KrgoCli.Result push = cli().runWithStdin(secured.password() + "\n", "push", target, "-r", dir.toString(),
                        "-u", secured.username(), "--password-stdin");
                assertThat(push.exitCode()).as(push.toString()).isZero();
                assertThat(push.stdout() + push.stderr()).doesNotContain(secured.password());

                Path back = work.resolve("auth-back-" + mode);
                KrgoCli.Result pull = cli().run("pull", target, "-r", back.toString(),
                        "-u", secured.username() + ":" + secured.password());
                assertThat(pull.exitCode()).as(pull.toString()).isZero();
                assertThat(Files.readString(back.resolve("etc/motd"))).isEqualTo("hello " + mode);
            }
        }
    }

    /** The OCI image-spec fields a reader relies on (schema validation done by hand: no validator offline). */
    private static void validateManifestAndConfig(JsonNode manifest, String repoAndTag) throws Exception {
        assertThat(manifest.path("schemaVersion").asInt()).isEqualTo(2);
        JsonNode cfgDesc = manifest.path("config");
        assertThat(cfgDesc.path("digest").asText()).matches("sha256:[0-9a-f]{64}");
        assertThat(cfgDesc.path("size").asLong()).isPositive();
        List<String> layerDigests = new ArrayList<>();
        for (JsonNode l : manifest.path("layers")) {
            assertThat(l.path("mediaType").asText()).isNotEmpty();
            assertThat(l.path("digest").asText()).matches("sha256:[0-9a-f]{64}");
            assertThat(l.path("size").asLong()).isPositive();
            layerDigests.add(l.path("digest").asText());
        }
        String rawConfig = Skopeo.run("inspect", "--config", "--raw", "--tls-verify=false",
                "docker://" + registry.host() + "/" + repoAndTag);
        assertThat("sha256:" + sha256(rawConfig)).isEqualTo(cfgDesc.path("digest").asText());
        JsonNode config = JSON.readTree(rawConfig);
        assertThat(config.path("os").asText()).isNotEmpty();
        assertThat(config.path("architecture").asText()).isNotEmpty();
        assertThat(config.path("rootfs").path("type").asText()).isEqualTo("layers");
        assertThat(config.path("rootfs").path("diff_ids")).hasSize(layerDigests.size());
        for (JsonNode id : config.path("rootfs").path("diff_ids")) {
            assertThat(id.asText()).matches("sha256:[0-9a-f]{64}");
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
