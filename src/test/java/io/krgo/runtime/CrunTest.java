package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code krgo run --runtime crun} with Debian's crun: the image's process, exit code, stop, --rm. */
class CrunTest {
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/crun:1", BusyboxImage::push).requiring("crun", "crun");

    @Test
    void runsTheImageWithItsUserEnvAndExitCode() {
        KrgoCli.Result r = served.krgo("run", "--rm", "--runtime", "crun", "--name", "c1",
                "-e", "EXIT_CODE=42", served.image());
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).contains("args:a b c\n", "cwd:/work\n", "id:uid=1000(app) gid=1000(app)",
                "env:GREETING=hello world\n");
        assertThat(Files.exists(served.state().resolve("containers/c1"))).isFalse();
        assertThat(Tools.run("crun", "list", "-q")).doesNotContain("c1");

        r = served.krgo("run", "--rm", "--runtime", "crun", "-u", "root", "--entrypoint", "/bin/sh",
                served.image(), "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("CapEff:\t00000000a80425fb\nSeccomp:\t2\n"); // docker's 14, filter on
    }

    @Test
    void krgoStopReachesACrunContainer() throws Exception {
        Path out = tmp.resolve("stop.out");
        Process p = served.background(out, "run", "--rm", "--runtime", "crun", "--name", "c2",
                "--entrypoint", "/bin/sh", served.image(), "-c",
                "trap 'echo got QUIT; exit 3' QUIT; echo ready; while true; do sleep 0.1; done");
        assertThat(served.krgo("ps").stdout()).contains("c2", "running");
        KrgoCli.Result stop = served.krgo("stop", "c2");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(Files.readString(out)).contains("got QUIT");
        assertThat(Files.exists(served.state().resolve("containers/c2"))).isFalse();
    }
}
