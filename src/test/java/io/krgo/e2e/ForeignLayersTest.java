package io.krgo.e2e;

import io.krgo.sys.NativeFs;
import io.krgo.testing.ForeignTar;
import io.krgo.testing.ForeignTree;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.RootlessUser;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layers written by GNU tar (posix with xattrs and ACLs, gnu), bsdtar (pax with LIBARCHIVE.xattr and
 * SCHILY.acl) and Python's tarfile (ustar, gnu, pax with hand-set records), each made into an image by
 * umoci, pushed by skopeo, pulled by krgo as root and compared file by file, xattr bytes included, with
 * {@code umoci unpack} of the same image (less its PAX global headers, which umoci 0.4.7 refuses), and
 * where it matters with the kernel's bytes of the source tree. umoci sets times through Go's UnixNano,
 * which overflows after 2262: for those times the reference is the writer's value.
 */
class ForeignLayersTest {
    private static final List<String> BEYOND_2262 = List.of(ForeignTree.Y2300, "time/nanos");

    @TempDir
    static Path work;
    static RegistryHarness registry;
    static Path source;
    static RootlessUser user;

    @BeforeAll
    static void build() throws Exception {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        source = ForeignTree.rich(work.resolve("src"));
        Path upper = ForeignTree.whiteouts(work.resolve("upper"));
        push("gnu-posix", ForeignTar.gnuPosix(source, work.resolve("gp1.tar")),
                ForeignTar.gnuPosix(upper, work.resolve("gp2.tar")));
        push("gnu-gnu", ForeignTar.gnuGnu(source, work.resolve("gg1.tar")),
                ForeignTar.gnuGnu(upper, work.resolve("gg2.tar")));
        push("bsdtar", ForeignTar.bsdtarPax(source, work.resolve("bt1.tar")),
                ForeignTar.bsdtarPax(upper, work.resolve("bt2.tar")));
        for (String format : List.of("ustar", "gnu", "pax")) {
            push("py-" + format, ForeignTar.python(format, work.resolve("py-" + format + ".tar")));
        }
    }

    private static void push(String name, Path... layers) {
        OciFixtures.pushImage(registry, work, "foreign/" + name + ":1", new PlatformImage("linux", "amd64", List.of(layers)));
        // umoci's reference: the same layers, less the PAX global headers umoci 0.4.7 refuses ("unknown
        // typeflag 'g'"); they carry only comments here, so they change no file.
        List<Path> forUmoci = new java.util.ArrayList<>();
        for (Path layer : layers) {
            forUmoci.add(ForeignTar.withoutGlobalHeaders(layer, work.resolve("noglobal-" + layer.getFileName())));
        }
        OciFixtures.create(work.resolve("umoci-" + name), "img", forUmoci);
    }

    @AfterAll
    static void stop() {
        registry.close();
        if (user != null) {
            user.close();
        }
    }

    /**
     * The same images pulled rootless by a user made for the run, compared with {@code umoci unpack
     * --rootless} as that user (owners in {@code user.rootlesscontainers}; what an owner cannot set, such as
     * devices and {@code security.*}, is left out by both).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gnu-posix", "gnu-gnu", "bsdtar", "py-ustar", "py-gnu", "py-pax"})
    void rootlessPullEqualsUmociRootless(String name) throws Exception {
        if (user == null) {
            user = RootlessUser.create();
        }
        Path dir = user.home().resolve("k-" + name);
        Tools.Result pull = user.krgo("pull", registry.host() + "/foreign/" + name + ":1", "-r", dir.toString(), "-q");
        assertThat(pull.exitCode()).as("rootless krgo pull of the %s image: %s%s", name, pull.stdout(), pull.stderr()).isZero();
        Path layout = user.home().resolve("layout-" + name);
        Tools.run("cp", "-a", work.resolve("umoci-" + name).toString(), layout.toString());
        user.own(layout);
        Path bundle = user.home().resolve("u-" + name);
        user.runOk("umoci", "unpack", "--rootless", "--image", layout + ":img", bundle.toString());
        // What a user cannot set (security.*) krgo keeps as user.krgo.NAME, with the image's bytes.
        for (String p : List.of(ForeignTree.CAP_V2, ForeignTree.CAP_V3)) {
            if (!name.startsWith("py-") && !name.equals("gnu-gnu")) {
                assertThat(xattrs(dir.resolve(p))).as("krgo's record of %s's capability", p)
                        .containsEntry("user.krgo.security.capability", xattrs(source.resolve(p)).get("security.capability"));
            }
        }
        List<String> diff = TreeSnapshot.of(dir).withoutXattrs(x -> x.startsWith("user.krgo."))
                .diff(TreeSnapshot.of(bundle.resolve("rootfs")));
        diff.removeIf(d -> BEYOND_2262.stream().anyMatch(p -> d.startsWith(p + ": mtime ")));
        // Devices: umoci --rootless leaves an empty regular file in a device's place; krgo, as its README
        // says, skips devices without root (with a warning).
        assertThat(diff.remove("dev/null: only in other (file)")).as("umoci's placeholder for dev/null").isTrue();
        assertThat(user.home().resolve("k-" + name + "/dev/null")).doesNotExist();
        if (name.equals("bsdtar")) {
            // bsdtar's ACLs are text only (SCHILY.acl.*), which umoci ignores (mode: group bits = the mask).
            diff.removeIf(d -> List.of(ForeignTree.ACL_FILE, ForeignTree.ACL_DIR).stream()
                    .anyMatch(p -> d.startsWith(p + ": xattrs") || d.startsWith(p + ": mode")));
        }
        assertThat(diff).as("rootless krgo (this) vs umoci unpack --rootless (other) of the %s image", name).isEmpty();
    }

    /** krgo's pull of {@code name} and umoci's unpack of the same layout; returns krgo's rootfs. */
    private static Path pullAndCompare(String name, String... ignoreXattrsOf) {
        Path dir = work.resolve("k-" + name);
        KrgoCli.Result pull = KrgoCli.inProcessWithStore(work.resolve("cache")).run("pull",
                registry.host() + "/foreign/" + name + ":1", "-r", dir.toString(), "-q");
        assertThat(pull.exitCode()).as("krgo pull of the %s image: %s", name, pull).isZero();
        Path umoci = OciFixtures.unpack(work.resolve("umoci-" + name), "img", work.resolve("u-" + name));
        List<String> diff = TreeSnapshot.of(dir).diff(TreeSnapshot.of(umoci));
        diff.removeIf(d -> List.of(ignoreXattrsOf).stream().anyMatch(p -> d.startsWith(p + ": xattrs") || d.startsWith(p + ": mode")));
        // umoci sets times through Go's UnixNano, which overflows after 2262: for those the reference is
        // the writer's value, asserted by each test.
        diff.removeIf(d -> BEYOND_2262.stream().anyMatch(p -> d.startsWith(p + ": mtime ")));
        assertThat(diff).as("krgo (this) vs umoci unpack (other) of the %s image", name).isEmpty();
        return dir;
    }

    @Test
    void gnuTarPosixWithXattrsAndAclsEqualsUmociAndTheSourceBytes() throws Exception {
        Path k = pullAndCompare("gnu-posix");
        for (String p : List.of(ForeignTree.CAP_V2, ForeignTree.CAP_V3, ForeignTree.ACL_FILE, ForeignTree.ACL_DIR,
                ForeignTree.PLUS_XATTR_FILE)) {
            assertThat(xattrs(k.resolve(p))).as("xattr bytes of %s after krgo's pull", p).isEqualTo(xattrs(source.resolve(p)));
        }
        assertSourceTimesAndNames(k, true);
        assertUpperLayerApplied(k);
    }

    @Test
    void gnuTarGnuFormatEqualsUmoci() throws Exception {
        Path k = pullAndCompare("gnu-gnu");
        assertSourceTimesAndNames(k, false);
        assertUpperLayerApplied(k);
    }

    /**
     * bsdtar writes xattrs as {@code LIBARCHIVE.xattr.NAME} (base64, names percent-encoded) besides
     * {@code SCHILY.xattr.NAME}, and ACLs only as text ({@code SCHILY.acl.*}), which umoci ignores: for
     * ACLs the reference is bsdtar's own extraction.
     */
    @Test
    void bsdtarPaxEqualsUmociAndBsdtarsOwnAcls() throws Exception {
        Path k = pullAndCompare("bsdtar", ForeignTree.ACL_FILE, ForeignTree.ACL_DIR);
        assertThat(xattrs(k.resolve(ForeignTree.PLUS_XATTR_FILE))).as("user.a+b keeps its '+' (RFC 3986, not a form)")
                .isEqualTo(xattrs(source.resolve(ForeignTree.PLUS_XATTR_FILE)));
        assertSourceTimesAndNames(k, true);
        assertThat(xattrs(k.resolve(ForeignTree.CAP_V2))).isEqualTo(xattrs(source.resolve(ForeignTree.CAP_V2)));
        Path bsd = ForeignTar.bsdtarExtract(work.resolve("bt1.tar"), work.resolve("bsdtar-x"));
        for (String p : List.of(ForeignTree.ACL_FILE, ForeignTree.ACL_DIR)) {
            assertThat(xattrs(k.resolve(p))).as("ACL xattrs of %s: krgo vs bsdtar -x", p).isEqualTo(xattrs(bsd.resolve(p)));
            assertThat(mode(k.resolve(p))).as("mode of %s (group bits are the ACL mask)", p).isEqualTo(mode(bsd.resolve(p)));
        }
        assertThat(xattrs(k.resolve(ForeignTree.ACL_FILE))).containsKey("system.posix_acl_access");
        assertThat(xattrs(k.resolve(ForeignTree.ACL_DIR))).containsKey("system.posix_acl_default");
        assertUpperLayerApplied(k);
    }

    @Test
    void pythonUstarEqualsUmoci() {
        Path k = pullAndCompare("py-ustar");
        assertThat(mode(k.resolve("etc/shadow"))).isZero();
    }

    @Test
    void pythonGnuEqualsUmoci() throws Exception {
        Path k = pullAndCompare("py-gnu");
        assertThat(mtimeSeconds(k.resolve("time/y2300"))).isEqualTo(10_413_792_000L);
        assertThat(mtimeSeconds(k.resolve("time/y1901"))).isEqualTo(-2_147_472_000L);
        assertThat(Files.readAttributes(k.resolve("owner/big"), "unix:uid", LinkOption.NOFOLLOW_LINKS).get("uid"))
                .isEqualTo(3_000_000);
    }

    @Test
    void pythonPaxWithHandSetRecordsEqualsUmoci() throws Exception {
        Path k = pullAndCompare("py-pax");
        FileTime minusHalf = Files.getLastModifiedTime(k.resolve("time/minus-half"), LinkOption.NOFOLLOW_LINKS);
        assertThat(minusHalf.toInstant().toString()).as("PAX mtime -0.5").isEqualTo("1969-12-31T23:59:59.500Z");
        assertThat(TreeSnapshot.mtimeNanos(k.resolve("time/nanos")).toInstant().toString())
                .isEqualTo("2300-01-01T00:00:00.123456789Z");
        assertThat(xattrs(k.resolve("usr/local/bin/capped")).get("security.capability"))
                .isEqualTo("01000002c0040000000000000000000000000000");
        assertThat(xattrs(k.resolve("data/xattrs"))).containsEntry("user.a+b", "706c7573");
    }

    /** What the source tree's kernel holds for times, owners and long names survives the trip. */
    private static void assertSourceTimesAndNames(Path k, boolean nanos) throws Exception {
        for (String p : List.of(ForeignTree.Y2300, ForeignTree.Y1901)) {
            FileTime want = TreeSnapshot.mtimeNanos(source.resolve(p));
            assertThat(TreeSnapshot.mtimeNanos(k.resolve(p)).toInstant()).as("mtime of %s", p)
                    .isEqualTo(nanos ? want.toInstant() : java.time.Instant.ofEpochSecond(want.toInstant().getEpochSecond()));
        }
        assertThat(mtimeSeconds(k.resolve(ForeignTree.Y2300))).isEqualTo(10_413_792_000L);
        assertThat(Files.readAttributes(k.resolve(ForeignTree.BIG_OWNER), "unix:uid").get("uid")).isEqualTo(3_000_000);
        assertThat(Files.readString(k.resolve(ForeignTree.DEEP))).isEqualTo("deep\n");
        assertThat(Files.exists(k.resolve(ForeignTree.NAME_100))).isTrue();
        assertThat(Files.exists(k.resolve(ForeignTree.NAME_255))).isTrue();
        assertThat(Files.readSymbolicLink(k.resolve(ForeignTree.LONG_LINK)).toString()).isEqualTo(ForeignTree.LONG_LINK_TARGET);
        assertThat(mode(k.resolve(ForeignTree.SHADOW))).isZero();
        assertThat(mode(k.resolve("etc/ro"))).isEqualTo(0555);
    }

    private static void assertUpperLayerApplied(Path k) throws Exception {
        assertThat(k.resolve("data/gone")).doesNotExist();
        assertThat(k.resolve("data/opaque/old")).doesNotExist();
        assertThat(Files.readString(k.resolve("data/opaque/new"))).isEqualTo("new\n");
        assertThat(Files.readString(k.resolve("data/kept"))).isEqualTo("upper\n");
    }

    static Map<String, String> xattrs(Path p) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String name : NativeFs.llistxattr(p)) {
            byte[] v = NativeFs.lgetxattr(p, name);
            out.put(name, v == null ? "" : HexFormat.of().formatHex(v));
        }
        return out;
    }

    static int mode(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static long mtimeSeconds(Path p) throws Exception {
        return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().getEpochSecond();
    }
}
