package io.krgo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.sys.NativeFs;
import io.krgo.testing.ForeignTar;
import io.krgo.testing.ForeignTree;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.RootlessUser;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.krgo.e2e.ForeignLayersTest.mode;
import static io.krgo.e2e.ForeignLayersTest.xattrs;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rootless for real: a user made for the run pulls, as itself, layers whose modes deny their owner what
 * extraction needs ({@code etc/shadow} 0000, directories 0000/0500/0555 with entries below them in the
 * same and a later layer, a whiteout inside such a directory, an opaque directory of mode 0000). The tree
 * has the image's modes and equals {@code umoci unpack --rootless} run as the same user; {@code pull -g},
 * an edit, {@code commit}, {@code push} and a re-pull work on it, so do {@code pull --force} over it and the
 * removal of an abandoned staging directory holding it. A capability image pulled rootless keeps
 * {@code security.capability} in krgo's records, so commit/push write its bytes again (checked with
 * Python's tarfile), and its ACLs, which an owner may set, are on the files.
 */
class RootlessPullTest {
    private static final Map<String, Integer> IMAGE_MODES = Map.of("etc/shadow", 0, "etc/gshadow", 0400,
            "d0000", 0, "d0500", 0500, "d0500/f", 0444, "d0555", 0555, "d0555/sub0000", 0, "opq", 0);

    @TempDir
    static Path work;
    static RegistryHarness registry;
    static RootlessUser user;
    static Path capsSource;

    @BeforeAll
    static void build() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        user = RootlessUser.create();
        Path l1 = work.resolve("r1.tar");
        Path l2 = work.resolve("r2.tar");
        ForeignTar.python("rootless", l1.toString(), l2.toString());
        OciFixtures.pushImage(registry, work, "rootless/modes:1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        Path plain = OciFixtures.tar(work.resolve("plain.tar"), Map.of("etc/hostname", "image\n", "etc/motd", "hi\n"));
        OciFixtures.pushImage(registry, work, "rootless/plain:1", new PlatformImage("linux", "amd64", List.of(plain)));
        capsSource = ForeignTree.capsAndAcls(work.resolve("caps-src"));
        Path caps = ForeignTar.gnuPosix(capsSource, work.resolve("caps.tar"));
        OciFixtures.pushImage(registry, work, "rootless/caps:1", new PlatformImage("linux", "amd64", List.of(caps)));
    }

    @AfterAll
    static void stop() {
        registry.close();
        if (user != null) {
            user.close();
        }
    }

    private static String ref(String repoAndTag) {
        return registry.host() + "/" + repoAndTag;
    }

    private static void krgoOk(String... args) {
        Tools.Result r = user.krgo(args);
        assertThat(r.exitCode()).as("as %s: krgo %s\n%s%s", user.name(), String.join(" ", args), r.stdout(), r.stderr())
                .isZero();
    }

    private static void assertImageModes(Path dir) throws Exception {
        IMAGE_MODES.forEach((p, m) -> assertThat(Integer.toOctalString(mode(dir.resolve(p)))).as("mode of %s", p)
                .isEqualTo(Integer.toOctalString(m)));
        assertThat(Files.readString(dir.resolve("etc/shadow"))).startsWith("root:!:");
        assertThat(Files.readString(dir.resolve("d0000/new"))).isEqualTo("new in 0000\n");
        assertThat(Files.readString(dir.resolve("d0500/new"))).isEqualTo("new in 0500\n");
        assertThat(dir.resolve("d0555/x")).doesNotExist();
        assertThat(dir.resolve("d0555/sub0000/h")).doesNotExist();
        assertThat(dir.resolve("opq/old")).doesNotExist();
        assertThat(Files.readString(dir.resolve("opq/new"))).isEqualTo("new in opaque\n");
    }

    @Test
    void pullKeepsTheImagesModesAndEqualsUmociRootless() throws Exception {
        Path dir = user.home().resolve("plain");
        krgoOk("pull", ref("rootless/modes:1"), "-r", dir.toString(), "-q");
        assertImageModes(dir);
        assertThat((Integer) Files.getAttribute(dir.resolve("etc/shadow"), "unix:uid")).isEqualTo(user.uid());

        Path layout = user.home().resolve("layout");
        Tools.run("cp", "-a", work.resolve("layout-rootless_modes_1").toString(), layout.toString());
        user.own(layout);
        Path bundle = user.home().resolve("umoci-bundle");
        user.runOk("umoci", "unpack", "--rootless", "--image", layout + ":img", bundle.toString());
        List<String> diff = new java.util.ArrayList<>(TreeSnapshot.of(dir).diff(TreeSnapshot.of(bundle.resolve("rootfs"))));
        // umoci 0.4.7 cannot record the owner of a read-only file ("ignoring (usually) harmless EPERM on
        // setxattr user.rootlesscontainers"): d0500/f (0444, owner 1000:1000) has no record there. krgo keeps it.
        diff.remove("d0500/f: xattrs {user.rootlesscontainers=0x08e80710e807} != {}");
        assertThat(diff).as("krgo (this) vs umoci unpack --rootless (other), both as %s", user.name()).isEmpty();
        assertThat(xattrs(dir.resolve("d0500/f"))).as("the image's owner 1000:1000 of a 0444 file, umoci's encoding")
                .containsEntry("user.rootlesscontainers", "08e80710e807");
    }

    @Test
    void gitCommitPushAndRepullWork() throws Exception {
        Path dir = user.home().resolve("git");
        krgoOk("pull", ref("rootless/modes:1"), "-r", dir.toString(), "-g", "-q");
        assertImageModes(dir);
        user.runOk("sh", "-c", "echo edited > \"$1\"", "edit", dir.resolve("etc/hostname").toString());
        krgoOk("commit", "-r", dir.toString(), "-m", "edit hostname", "-q");
        krgoOk("push", ref("rootless/edited:1"), "-r", dir.toString(), "-q");
        List<Path> pushed = Skopeo.layerBlobs(registry, "rootless/edited:1", work.resolve("edited"));
        assertThat(pushed).hasSize(3);
        JsonNode hostname = XattrRoundTripTest.member(ForeignTar.dump(pushed.get(2)).path("members"), "etc/hostname");
        assertThat(hostname.isMissingNode()).as("etc/hostname in the committed layer").isFalse();
        // The image's owner (root: no user.rootlesscontainers record), not the uid of the user who edited it.
        assertThat(hostname.path("uid").asInt()).as("owner of the edited file in the pushed layer").isZero();
        assertThat(hostname.path("gid").asInt()).isZero();
        Path back = user.home().resolve("back");
        krgoOk("pull", ref("rootless/edited:1"), "-r", back.toString(), "-q");
        assertThat(Files.readString(back.resolve("etc/hostname"))).isEqualTo("edited\n");
        assertImageModes(back);
        assertThat(TreeSnapshot.of(back).diff(TreeSnapshot.of(dir))).as("re-pulled (this) vs committed tree (other)").isEmpty();
    }

    /**
     * The same owner rule without any mode that denies its owner: a file of the image's root that the user
     * edited is committed as root's (no {@code user.rootlesscontainers} record means 0:0, as the applier
     * writes it and umoci reads it), not as the editing user's.
     */
    @Test
    void rootlessCommitKeepsTheImagesOwnerOfAnEditedFile() {
        Path dir = user.home().resolve("owner");
        krgoOk("pull", ref("rootless/plain:1"), "-r", dir.toString(), "-g", "-q");
        user.runOk("sh", "-c", "echo edited > \"$1\"", "edit", dir.resolve("etc/hostname").toString());
        krgoOk("commit", "-r", dir.toString(), "-m", "edit hostname", "-q");
        krgoOk("push", ref("rootless/owner:1"), "-r", dir.toString(), "-q");
        List<Path> pushed = Skopeo.layerBlobs(registry, "rootless/owner:1", work.resolve("owner"));
        JsonNode members = ForeignTar.dump(pushed.get(pushed.size() - 1)).path("members");
        JsonNode hostname = XattrRoundTripTest.member(members, "etc/hostname");
        assertThat(hostname.isMissingNode()).as("etc/hostname in the committed layer: %s", members).isFalse();
        assertThat(hostname.path("uid").asInt() + ":" + hostname.path("gid").asInt())
                .as("owner of the edited file in the layer a rootless commit wrote (the user is uid %s)", user.uid())
                .isEqualTo("0:0");
        assertThat(members.size()).as("only the edited file (and its parent) in the layer: %s", members).isLessThanOrEqualTo(2);
    }

    @Test
    void pullForceReplacesSuchATree() throws Exception {
        Path dir = user.home().resolve("force");
        krgoOk("pull", ref("rootless/modes:1"), "-r", dir.toString(), "-q");
        krgoOk("pull", ref("rootless/modes:1"), "-r", dir.toString(), "-q", "--force");
        assertImageModes(dir);
        assertThat(leftovers("force")).as("nothing of the old tree or the staging dir beside DIR").isEmpty();
    }

    @Test
    void abandonedStagingDirHoldingSuchATreeIsRemoved() throws Exception {
        Path dir = user.home().resolve("stale");
        krgoOk("pull", ref("rootless/modes:1"), "-r", dir.toString(), "-q");
        // What a pull killed by SIGKILL leaves: its staging dir, named after a process that is gone.
        long deadPid = Long.parseLong(user.runOk("sh", "-c", "echo $$").trim());
        Path staging = user.home().resolve(".stale.krgo-staging-" + deadPid + "-0badf00d");
        // Copied by root (the user cannot read what it pulled, by design), then made the user's.
        Tools.run("mkdir", staging.toString());
        Tools.run("cp", "-a", dir.toString(), staging.resolve("rootfs").toString());
        user.own(staging);
        assertThat(mode(staging.resolve("rootfs/d0000"))).isZero();
        krgoOk("pull", ref("rootless/modes:1"), "-r", dir.toString(), "-q", "--force");
        assertThat(staging).as("the abandoned staging dir with mode-0000 entries").doesNotExist();
        assertThat(leftovers("stale")).isEmpty();
        assertImageModes(dir);
    }

    @Test
    void capabilitiesSurviveRootlessPullCommitPushAndAclsAreSet() throws Exception {
        Path dir = user.home().resolve("caps");
        Tools.Result pull = user.krgo("pull", ref("rootless/caps:1"), "-r", dir.toString(), "-g", "-q");
        assertThat(pull.exitCode()).as("rootless pull -g of a capability image: %s%s", pull.stdout(), pull.stderr()).isZero();
        assertThat(mode(dir.resolve(ForeignTree.SHADOW))).isZero();
        // One warning names how many xattrs could not be set: the two capabilities (ACLs and user.* can be).
        List<String> xattrWarnings = pull.stderr().lines().filter(l -> l.contains("xattr")).toList();
        assertThat(xattrWarnings).as("the one warning about xattrs: %s", pull.stderr()).hasSize(1);
        assertThat(xattrWarnings.get(0)).containsPattern("\\b2\\b");
        for (String p : List.of(ForeignTree.ACL_FILE, ForeignTree.ACL_DIR)) {
            Map<String, String> want = xattrs(capsSource.resolve(p));
            want.keySet().removeIf(k -> !k.startsWith("system.posix_acl_"));
            assertThat(want).isNotEmpty();
            assertThat(xattrs(dir.resolve(p))).as("ACLs of %s after a rootless pull (an owner may set them)", p)
                    .containsAllEntriesOf(want);
        }
        // A metadata-only change puts the capped files into the new layer.
        user.runOk("chmod", "0750", dir.resolve(ForeignTree.CAP_V2).toString(), dir.resolve(ForeignTree.CAP_V3).toString());
        krgoOk("commit", "-r", dir.toString(), "-m", "chmod capped files", "-q");
        krgoOk("push", ref("rootless/caps-pushed:1"), "-r", dir.toString(), "-q");
        List<Path> layers = Skopeo.layerBlobs(registry, "rootless/caps-pushed:1", work.resolve("caps-pushed"));
        JsonNode top = ForeignTar.dump(layers.get(layers.size() - 1)).path("members");
        for (String p : List.of(ForeignTree.CAP_V2, ForeignTree.CAP_V3)) {
            JsonNode m = XattrRoundTripTest.member(top, p);
            assertThat(m.isMissingNode()).as("%s in the committed layer", p).isFalse();
            assertThat(m.path("mode").asInt()).isEqualTo(0750);
            assertThat(m.path("pax").path("SCHILY.xattr.security.capability").asText())
                    .as("security.capability of %s in the layer a rootless commit wrote", p)
                    .isEqualTo(HexFormat.of().formatHex(NativeFs.lgetxattr(capsSource.resolve(p), "security.capability")));
        }
    }

    /** Names beside DIR in the user's home that a pull of DIR may have left (staging, aside). */
    private static List<String> leftovers(String name) throws Exception {
        try (Stream<Path> s = Files.list(user.home())) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("." + name + ".krgo-staging-") || n.startsWith("." + name + ".krgo-old-"))
                    .toList();
        }
    }
}
