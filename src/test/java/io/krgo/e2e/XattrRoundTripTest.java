package io.krgo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.sys.NativeFs;
import io.krgo.testing.ForeignTar;
import io.krgo.testing.ForeignTree;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * As root: {@code pull -g} of a layer GNU tar wrote from files carrying capabilities (v2 with high bytes,
 * v3 with a rootid), POSIX ACLs and {@code user.*} xattrs, then a metadata-only change and a new capped
 * file, {@code commit}, {@code push}: Python's tarfile finds the same xattr bytes in the pushed layer as
 * the kernel held in the source tree, and umoci unpacks what krgo pushed to krgo's tree. An unchanged
 * {@code pull -g} pushed elsewhere keeps its manifest digest.
 */
class XattrRoundTripTest {
    private static final List<String> XATTR_PATHS = List.of(ForeignTree.CAP_V2, ForeignTree.CAP_V3,
            ForeignTree.ACL_FILE, ForeignTree.ACL_DIR, ForeignTree.PLUS_XATTR_FILE);

    @TempDir
    static Path work;
    static RegistryHarness registry;
    static Path source;

    @BeforeAll
    static void build() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        source = ForeignTree.capsAndAcls(work.resolve("src"));
        // No PAX global header here: umoci 0.4.7, which reads back what krgo pushed, refuses them.
        Path tar = ForeignTar.gnuTar(source, work.resolve("caps.tar"), "--format=posix", "--xattrs", "--xattrs-include=*",
                "--acls");
        OciFixtures.pushImage(registry, work, "rt/caps:1", new PlatformImage("linux", "amd64", List.of(tar)));
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static KrgoCli cli() {
        return KrgoCli.inProcessWithStore(work.resolve("cache"));
    }

    private static String ref(String repoAndTag) {
        return registry.host() + "/" + repoAndTag;
    }

    @Test
    void commitAndPushWriteTheKernelsXattrBytes() throws Exception {
        Path dir = work.resolve("changed");
        KrgoCli.Result pull = cli().run("pull", ref("rt/caps:1"), "-r", dir.toString(), "-g", "-q");
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        // Metadata-only changes (the kernel keeps the xattrs over touch) put each file into the new layer.
        for (String p : XATTR_PATHS) {
            Tools.run("touch", "-h", "-d", "2030-01-02 03:04:05", dir.resolve(p).toString());
        }
        Tools.run("bash", "-c", "set -eu; cd \"$1\"; printf 'new\\n' > usr/local/bin/new-capped; chmod 0755 usr/local/bin/new-capped;"
                + " setcap cap_setuid,cap_setgid,cap_net_bind_service+ep usr/local/bin/new-capped;"
                + " setfacl -m u:4321:r-x,g:4322:r-- usr/local/bin/new-capped", "new", dir.toString());
        KrgoCli.Result commit = cli().run("commit", "-r", dir.toString(), "-m", "touch capped files", "-q");
        assertThat(commit.exitCode()).as(commit.toString()).isZero();
        KrgoCli.Result push = cli().run("push", ref("rt/changed:1"), "-r", dir.toString(), "-q");
        assertThat(push.exitCode()).as(push.toString()).isZero();

        List<Path> layers = Skopeo.layerBlobs(registry, "rt/changed:1", work.resolve("pushed"));
        assertThat(layers).hasSize(2);
        JsonNode top = ForeignTar.dump(layers.get(1)).path("members");
        for (String p : XATTR_PATHS) {
            JsonNode m = member(top, p);
            assertThat(m.isMissingNode()).as("%s in the committed layer: %s", p, top.fieldNames()).isFalse();
            for (String name : NativeFs.llistxattr(source.resolve(p))) {
                String want = HexFormat.of().formatHex(NativeFs.lgetxattr(source.resolve(p), name));
                assertThat(m.path("pax").path("SCHILY.xattr." + name).asText())
                        .as("SCHILY.xattr.%s of %s in the pushed layer (Python's tarfile)", name, p).isEqualTo(want);
            }
        }
        JsonNode added = member(top, "usr/local/bin/new-capped").path("pax");
        Path newCapped = dir.resolve("usr/local/bin/new-capped");
        for (String name : List.of("security.capability", "system.posix_acl_access")) {
            assertThat(added.path("SCHILY.xattr." + name).asText()).as("%s of the new file in the pushed layer", name)
                    .isEqualTo(HexFormat.of().formatHex(NativeFs.lgetxattr(newCapped, name)));
        }

        Path layout = work.resolve("pushed-layout");
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "docker://" + ref("rt/changed:1"), "oci:" + layout + ":x");
        Path umoci = OciFixtures.unpack(layout, "x", work.resolve("pushed-bundle"));
        assertThat(TreeSnapshot.of(dir).diff(TreeSnapshot.of(umoci))).as("krgo's tree vs umoci unpack of what krgo pushed")
                .isEmpty();
    }

    @Test
    void unchangedPullGitPushedElsewhereKeepsTheManifestDigest() throws Exception {
        Path dir = work.resolve("unchanged");
        KrgoCli.Result pull = cli().run("pull", ref("rt/caps:1"), "-r", dir.toString(), "-g", "-q");
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        KrgoCli.Result push = cli().run("push", ref("rt/copy:1"), "-r", dir.toString(), "-q");
        assertThat(push.exitCode()).as(push.toString()).isZero();
        assertThat(sha256(Skopeo.inspectRaw(registry, "rt/copy:1"))).isEqualTo(sha256(Skopeo.inspectRaw(registry, "rt/caps:1")));
    }

    /** A member by name, with or without the {@code ./} GNU tar puts before names. */
    static JsonNode member(JsonNode members, String name) {
        JsonNode m = members.path(name);
        return m.isMissingNode() ? members.path("./" + name) : m;
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
