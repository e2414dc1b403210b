package io.krgo.e2e;

import io.krgo.testing.Buildah;
import io.krgo.testing.ForeignTree;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.krgo.e2e.ForeignLayersTest.mode;
import static io.krgo.e2e.ForeignLayersTest.xattrs;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An image that buildah wrote: a container from scratch edited through its mount (capabilities v2 and v3,
 * ACLs, {@code user.a+b}, hardlinks, a fifo, a char device, owner 3,000,000, a 1901 mtime, mode-0000
 * {@code etc/shadow}), committed, then a second container from it where a file and a directory's content
 * are deleted (whiteouts) and new capped content added, committed and pushed by {@code buildah push}. krgo
 * pulls it as root; the reference is {@code umoci unpack} of the same image copied by skopeo. (Of the
 * xattrs, buildah's layers carry {@code security.capability} only: containers/storage archives no ACLs.)
 */
class BuildahLayersTest {
    @TempDir
    static Path work;
    static RegistryHarness registry;
    static Buildah buildah;

    @BeforeAll
    static void build() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        buildah = new Buildah(work.resolve("buildah"));
        String base = buildah.from("scratch");
        Path m = buildah.mount(base);
        ForeignTree.capsAndAcls(m);
        Tools.run("bash", "-c", """
                set -eu; cd "$1"
                mkdir -p data/opaque dev
                echo shared > data/a; ln data/a data/a-link; echo lower > data/gone; echo old > data/opaque/old
                mkfifo dev/fifo; mknod dev/null c 1 3; chmod 0666 dev/null
                echo big > data/big; chown 3000000:3000000 data/big
                echo past > data/y1901; touch -d '1901-12-14 00:00:00 UTC' data/y1901
                mkdir -p etc/ro; echo a > etc/ro/a; chmod 0555 etc/ro
                """, "base", m.toString());
        buildah.commit(base, "xtool-base:1");
        String upper = buildah.from("localhost/xtool-base:1");
        Path u = buildah.mount(upper);
        Tools.run("bash", "-c", """
                set -eu; cd "$1"
                rm data/gone; rm -r data/opaque; mkdir data/opaque; echo new > data/opaque/new
                printf 'up\\n' > usr/local/bin/upper-capped; chmod 0755 usr/local/bin/upper-capped
                setcap cap_setuid,cap_setgid+ep usr/local/bin/upper-capped
                """, "upper", u.toString());
        buildah.commit(upper, "xtool:2");
        buildah.push("localhost/xtool:2", registry, "buildah/xtool:2");
    }

    @AfterAll
    static void stop() {
        registry.close();
        buildah.close();
    }

    @Test
    void buildahsImageEqualsUmociUnpack() throws Exception {
        Path dir = work.resolve("krgo");
        KrgoCli.Result pull = KrgoCli.inProcessWithStore(work.resolve("cache")).run("pull",
                registry.host() + "/buildah/xtool:2", "-r", dir.toString(), "-q");
        assertThat(pull.exitCode()).as("krgo pull of buildah's image: %s", pull).isZero();
        Path layout = work.resolve("layout");
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "docker://" + registry.host() + "/buildah/xtool:2",
                "oci:" + layout + ":x");
        Path umoci = OciFixtures.unpack(layout, "x", work.resolve("bundle"));
        assertThat(TreeSnapshot.of(dir).diff(TreeSnapshot.of(umoci))).as("krgo (this) vs umoci unpack (other)").isEmpty();

        assertThat(dir.resolve("data/gone")).doesNotExist();
        assertThat(dir.resolve("data/opaque/old")).doesNotExist();
        assertThat(Files.readString(dir.resolve("data/opaque/new"))).isEqualTo("new\n");
        assertThat(xattrs(dir.resolve("usr/local/bin/upper-capped"))).containsEntry("security.capability",
                "01000002c0000000000000000000000000000000");
        assertThat(xattrs(dir.resolve(ForeignTree.CAP_V3)).get("security.capability")).endsWith("e8030000");
        assertThat(mode(dir.resolve(ForeignTree.SHADOW))).isZero();
    }
}
