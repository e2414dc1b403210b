package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RootlessUser;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import io.krgo.testing.Umoci;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code krgo run} as an ordinary user made by {@code useradd} (with subordinate ranges), through the real
 * newuidmap/newgidmap and runc: the image's owners are real inside the container, a user without ranges runs
 * as root with a warning, an id beyond the ranges is one clear line, and prune leaves nothing behind.
 */
class RootlessRunTest {
    @TempDir
    static Path work;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("rootless/run:1", BusyboxImage::push).requiring("runc", "runc")
            .requiring("newuidmap", "uidmap").requiring("unshare", "util-linux");
    static RootlessUser user;

    @BeforeAll
    static void setUp() {
        user = RootlessUser.create();
    }

    @AfterAll
    static void tearDown() {
        if (user != null) {
            user.close();
        }
    }

    private static Path state(RootlessUser u) {
        return u.home().resolve(".local/state/krgo"); // the default: ~/.local/state/krgo
    }

    @Test
    void theImagesOwnersAreRealInsideAndSubordinateIdsOutside() throws IOException {
        Tools.Result r = user.krgo("run", "--name", "owners", "--entrypoint", "/bin/sh", served.image(), "-c",
                "id; touch /work/made-here && ls -ln /work/made-here; echo home:$(ls -lnd /home/app)");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("uid=1000(app) gid=1000(app)").contains("2000(extra)");
        assertThat(r.stdout()).containsPattern("-rw-r--r-- +1 1000 +1000 +0 .* /work/made-here");
        assertThat(r.stdout()).containsPattern("home:drwxr-xr-x +2 1000 +1000 ");

        long outside = user.subuidStart() + 999;
        Path container = state(user).resolve("containers/owners");
        assertThat(Files.getAttribute(container.resolve("upper/work/made-here"), "unix:uid")).isEqualTo((int) outside);
        // the config runc got inside the namespace: valid, without a user namespace or mappings of its own
        Tools.Result valid = OciConfigConformanceTest.validate(container.resolve("config.json"));
        assertThat(valid.exitCode()).as(valid.stdout() + valid.stderr()).isZero();
        assertThat(Files.readString(container.resolve("config.json"))).doesNotContain("uidMappings")
                .doesNotContain("\"type\" : \"user\"").contains("\"uid\" : 1000");
        Path imageRoot;
        try (Stream<Path> images = Files.list(state(user).resolve("images"))) {
            imageRoot = images.filter(p -> !p.getFileName().toString().startsWith(".")).findFirst().orElseThrow()
                    .resolve("rootfs");
        }
        assertThat(Files.getAttribute(imageRoot.resolve("work"), "unix:uid")).isEqualTo((int) outside);
        assertThat(Files.getAttribute(imageRoot.resolve("work"), "unix:gid")).isEqualTo((int) outside);
        // root of the container = the user itself
        assertThat(Files.getAttribute(imageRoot.resolve("bin/busybox"), "unix:uid")).isEqualTo(user.uid());

        // exit codes pass through; --rm leaves no container behind
        r = user.krgo("run", "--rm", "-e", "EXIT_CODE=42", served.image());
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).contains("id:uid=1000(app) gid=1000(app)");
        try (Stream<Path> left = Files.list(state(user).resolve("containers"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("owners");
        }

        // --network none: a network namespace of the user namespace's own, with sysfs mounted for it
        r = user.krgo("run", "--rm", "--network", "none", "--entrypoint", "/bin/ls", served.image(), "/sys/class/net");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("lo\n");

        // a user the image does not have, beyond the ranges: one line naming the id and the ranges
        r = user.krgo("run", "--rm", "-u", "70000", served.image());
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr().strip().lines()).hasSize(1);
        assertThat(r.stderr()).contains("uid 70000", "/etc/subuid " + user.subuidStart() + "-");

        // prune removes the container (its upper dir holds subordinate owners) and the image: nothing left
        r = user.krgo("prune");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("removed container owners").contains("removed image sha256:");
        try (Stream<Path> all = Files.walk(state(user))) {
            assertThat(all.filter(p -> !Files.isDirectory(p))).isEmpty();
        }
        // and what remains (empty directories) is the user's own: it can delete it all
        assertThat(user.run(List.of("rm", "-r", state(user).toString())).exitCode()).isZero();
    }

    @Test
    void aPulledBundleAndRunInPlaceMapOnlyTheCaller() throws IOException {
        Path bundle = user.home().resolve("bundle");
        user.runOk("mkdir", "-p", user.home().resolve("runc").toString());
        Tools.Result r = user.krgo("pull", served.image(), "--bundle", bundle.toString(), "-q");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        String config = Files.readString(bundle.resolve("config.json"));
        assertThat(config).contains("\"uidMappings\"", "\"hostID\" : " + user.uid(), "\"type\" : \"user\"");
        Tools.Result valid = OciConfigConformanceTest.validate(bundle.resolve("config.json"));
        assertThat(valid.exitCode()).as(valid.stdout() + valid.stderr()).isZero();
        // runc, as the user, starts it directly: its own rootless mode maps the caller, who is root inside
        r = user.run(List.of("runc", "--root", user.home().resolve("runc").toString(), "run", "-b", bundle.toString(),
                "bundle-1"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("id:uid=0(root) gid=0(root)", "cwd:/work", "env:GREETING=hello world");
        user.run(List.of("runc", "--root", user.home().resolve("runc").toString(), "delete", "-f", "bundle-1"));

        // the same config written by root with --rootless (DIR's owner mapped), which the user's runc runs;
        // --no-rootless gives the user root's config (no user namespace)
        KrgoCli.Result byRoot = KrgoCli.run(work.resolve("root-home"), (String) null, "config", "--rootless", "-r",
                bundle.resolve("rootfs").toString(), "-o", bundle.resolve("config.json").toString());
        assertThat(byRoot.exitCode()).as(byRoot.output()).isZero();
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(config);
        r = user.run(List.of("runc", "--root", user.home().resolve("runc").toString(), "run", "-b", bundle.toString(),
                "bundle-2"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("id:uid=0(root) gid=0(root)", "cwd:/work");
        user.run(List.of("runc", "--root", user.home().resolve("runc").toString(), "delete", "-f", "bundle-2"));
        r = user.krgo("config", "--no-rootless", "-r", bundle.resolve("rootfs").toString(), "-o", "-");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("\"uid\" : 1000").doesNotContain("uidMappings")
                .doesNotContain("\"type\" : \"user\"");

        r = user.krgo("run", "--rm", "-r", bundle.resolve("rootfs").toString(), "--entrypoint", "/bin/sh", "--",
                "-c", "id; touch /work/in-place");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("uid=0(root) gid=0(root)");
        assertThat(r.stderr()).contains("run -r DIR without root maps only you").contains("not as uid 1000");
        // what the container wrote in DIR is the user's: DIR stays and the user can delete it
        assertThat(Files.getAttribute(bundle.resolve("rootfs/work/in-place"), "unix:uid")).isEqualTo(user.uid());
        assertThat(user.run(List.of("rm", "-r", bundle.toString())).exitCode()).isZero();
    }

    @Test
    void signalsAndStopReachTheContainerInTheUserNamespace() throws Exception {
        Path out = user.home().resolve("term.out");
        String loop = "echo ready; while true; do sleep 0.1; done";
        Process p = background(out, "run", "--rm", "--name", "trapper", "--entrypoint", "/bin/sh", served.image(), "-c",
                "trap 'echo got TERM; exit 143' TERM; " + loop);
        p.destroy(); // SIGTERM to krgo, passed on by runc kill from outside the namespace
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(Files.readString(out)).contains("got TERM");
        assertThat(Files.exists(state(user).resolve("containers/trapper"))).as("--rm after a signal").isFalse();

        out = user.home().resolve("quit.out");
        p = background(out, "run", "--rm", "--name", "quitter", "--entrypoint", "/bin/sh", served.image(), "-c",
                "trap 'echo got QUIT; exit 3' QUIT; " + loop);
        Tools.Result ps = user.krgo("ps");
        assertThat(ps.stdout()).containsPattern("quitter +running");
        Tools.Result stop = user.krgo("stop", "quitter");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(Files.readString(out)).contains("got QUIT");
        assertThat(Files.exists(state(user).resolve("containers/quitter"))).isFalse();
    }

    /** Starts krgo as the user in the background, returning once the container printed "ready". */
    private static Process background(Path out, String... args) throws Exception {
        Path err = out.resolveSibling(out.getFileName() + ".err");
        Process p = new ProcessBuilder(user.as(user.krgoCommand(args))).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!(Files.exists(out) && Files.readString(out).contains("ready"))) {
            assertThat(p.isAlive()).as(Files.exists(err) ? Files.readString(err) : "").isTrue();
            assertThat(System.nanoTime()).as("container ready within 120 s").isLessThan(end);
            Thread.sleep(50);
        }
        return p;
    }

    @Test
    void aPathDirectoryKrgoCannotSearchLeavesTheVerdictToTheRuntime() throws IOException {
        // /opt/private: 0700, the image's uid 1000's, so the host's subuid+999's: closed to the user outside
        long t = TarBuilder.DEFAULT_MTIME;
        Path layer = new TarBuilder().dir("opt", 0755, 0, 0, t).dir("opt/private", 0700, 1000, 1000, t)
                .file("opt/private/hello", "#!/bin/sh\necho hello from a private dir\n"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8), 0755, 1000, 1000, t)
                .writeTo(work.resolve("private-layer.tar"));
        Path layout = BusyboxImage.layout(work, "t"); // User app = 1000
        Umoci.run("raw", "add-layer", "--image", layout + ":t", "--tag", "priv", layer.toString());
        Umoci.run("config", "--image", layout + ":priv", "--config.env", "PATH=/opt/private:/bin");
        Skopeo.copyTo(served.registry(), "oci:" + layout + ":priv", "rootless/private:1");
        String priv = served.registry().host() + "/rootless/private:1";
        try (RootlessUser other = RootlessUser.create()) {
            Tools.Result r = other.krgo("run", "--name", "priv", "--entrypoint", "hello", priv);
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("hello from a private dir\n");
            Path rootfs = Path.of(Files.readString(state(other).resolve("containers/priv/container.json"))
                    .replaceAll("(?s).*\"imageDir\" *: *\"([^\"]+)\".*", "$1"));
            Tools.Result look = other.run(List.of("ls", rootfs.resolve("opt/private").toString()));
            assertThat(look.exitCode()).as("the directory is closed to the user outside the namespace").isNotZero();
            assertThat(look.stderr()).contains("Permission denied");
            assertThat(other.krgo("rm", "priv").exitCode()).isZero();

            // found nowhere, but one PATH directory could not be searched: no 127 of krgo's, runc's error
            r = other.krgo("run", "--rm", "--entrypoint", "nothere", priv);
            assertThat(r.exitCode()).as(r.stderr()).isNotZero().isNotEqualTo(127).isNotEqualTo(125);
            assertThat(r.stderr()).doesNotContain("krgo: exec:").contains("nothere");
            // without that directory on the PATH krgo decides, as everywhere else
            r = other.krgo("run", "--rm", "-e", "PATH=/bin", "--entrypoint", "nothere", priv);
            assertThat(r.exitCode()).isEqualTo(127);
            assertThat(r.stderr()).contains("krgo: exec: \"nothere\": executable file not found in $PATH");
            assertThat(other.krgo("prune").exitCode()).isZero();
        }
    }

    @Test
    void anIdBeyondTheRangesFailsWithOneLine() {
        long t = TarBuilder.DEFAULT_MTIME;
        Path layer = new TarBuilder().dir("data", 0755, 70000, 70000, t).file("data/f", new byte[] {1}, 0644, 70000,
                70000, t).writeTo(work.resolve("far-owner.tar"));
        OciFixtures.pushImage(served.registry(), work, "rootless/far:1", new PlatformImage("linux", "amd64",
                List.of(layer)));
        try (RootlessUser other = RootlessUser.create()) {
            Tools.Result r = other.krgo("run", "--rm", served.registry().host() + "/rootless/far:1", "true");
            assertThat(r.exitCode()).isEqualTo(125);
            assertThat(r.stderr().strip().lines()).as(r.stderr()).hasSize(1);
            assertThat(r.stderr()).contains("needs uid 70000 (owner of /data)", "beyond the ids mapped for you",
                    "/etc/subuid " + other.subuidStart() + "-");
            // the failed unpack left nothing of the user's subordinate ids behind
            assertThat(other.run(List.of("rm", "-r", state(other).toString())).exitCode()).isZero();
        }
    }

    @Test
    void aUserWithoutRangesRunsAsRootWithAWarning() throws IOException {
        try (RootlessUser plain = RootlessUser.create()) {
            plain.dropSubordinateIds();
            Tools.Result r = plain.krgo("run", "--rm", served.image());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).contains("id:uid=0(root) gid=0(root)").contains("cwd:/work");
            assertThat(r.stderr()).contains("warning: no subordinate ids for " + plain.name())
                    .contains("collapses to root");
            try (Stream<Path> left = Files.list(state(plain).resolve("containers"))) {
                assertThat(left).isEmpty();
            }
            r = plain.krgo("prune");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            try (Stream<Path> all = Files.walk(state(plain))) {
                assertThat(all.filter(p -> !Files.isDirectory(p))).isEmpty();
            }
        }
    }
}
