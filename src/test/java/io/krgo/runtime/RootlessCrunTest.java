package io.krgo.runtime;

import io.krgo.testing.RootlessUser;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code krgo run --runtime crun} as an ordinary user made by {@code useradd}, with Debian's crun 1.8 in the
 * user namespace krgo makes: the image's user with its real owners, exit codes, stop and prune.
 */
class RootlessCrunTest {
    @RegisterExtension
    static final ServedImage served = ServedImage.of("rootless/crun:1", BusyboxImage::push).requiring("crun", "crun")
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

    private static Path state() {
        return user.home().resolve(".local/state/krgo");
    }

    @Test
    void runsTheImagesUserWithItsOwnersAndExitCode() throws IOException {
        Tools.Result r = user.krgo("run", "--runtime", "crun", "--name", "c1", "--entrypoint", "/bin/sh",
                served.image(), "-c", "id; touch /work/made-here && ls -ln /work/made-here; grep '^Seccomp:'"
                        + " /proc/self/status");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("uid=1000(app) gid=1000(app)").contains("2000(extra)")
                .containsPattern("-rw-r--r-- +1 1000 +1000 +0 .* /work/made-here")
                .contains("Seccomp:\t2\n");
        assertThat(Files.getAttribute(state().resolve("containers/c1/upper/work/made-here"), "unix:uid"))
                .isEqualTo((int) (user.subuidStart() + 999));
        assertThat(user.krgo("ps").stdout()).containsPattern("c1 +(stopped|exited)");
        Tools.Result rm = user.krgo("rm", "c1");
        assertThat(rm.exitCode()).as(rm.stderr()).isZero();

        r = user.krgo("run", "--rm", "--runtime", "crun", "-e", "EXIT_CODE=42", served.image());
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).contains("args:a b c\n", "cwd:/work\n", "id:uid=1000(app) gid=1000(app)");
    }

    @Test
    void stopReachesARootlessCrunContainer() throws Exception {
        Path out = user.home().resolve("stop.out");
        Path err = user.home().resolve("stop.err");
        Process p = new ProcessBuilder(user.as(user.krgoCommand("run", "--rm", "--runtime", "crun", "--name", "c2",
                "--entrypoint", "/bin/sh", served.image(), "-c",
                "trap 'echo got QUIT; exit 3' QUIT; echo ready; while true; do sleep 0.1; done")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!(Files.exists(out) && Files.readString(out).contains("ready"))) {
            assertThat(p.isAlive()).as(Files.exists(err) ? Files.readString(err) : "").isTrue();
            assertThat(System.nanoTime()).as("container ready within 120 s").isLessThan(end);
            Thread.sleep(50);
        }
        assertThat(user.krgo("ps").stdout()).containsPattern("c2 +running");
        Tools.Result stop = user.krgo("stop", "c2");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(err)).isEqualTo(3);
        assertThat(Files.readString(out)).contains("got QUIT");
        assertThat(Files.exists(state().resolve("containers/c2"))).isFalse();

        Tools.Result prune = user.krgo("prune");
        assertThat(prune.exitCode()).as(prune.stderr()).isZero();
        try (Stream<Path> all = Files.walk(state())) {
            assertThat(all.filter(f -> !Files.isDirectory(f))).isEmpty();
        }
        assertThat(user.run(List.of("rm", "-r", state().toString())).exitCode()).isZero();
    }
}
