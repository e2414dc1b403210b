package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code krgo run --runtime crun} with Debian's crun: the image's process, exit code, stop, --rm. */
class CrunTest {
    @TempDir
    static Path tmp;
    static RegistryHarness registry;
    static String image;
    static Path home;
    static Map<String, String> env;

    @BeforeAll
    static void pushImage() {
        Tools.require("crun", "crun");
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        BusyboxImage.push(registry, tmp, "test/crun:1");
        image = registry.host() + "/test/crun:1";
        home = tmp.resolve("home");
        env = Map.of("KRGO_STATE", tmp.resolve("state").toString());
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void runsTheImageWithItsUserEnvAndExitCode() {
        KrgoCli.Result r = KrgoCli.run(home, env, null, "run", "--rm", "--runtime", "crun", "--name", "c1",
                "-e", "EXIT_CODE=42", image);
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).contains("args:a b c\n", "cwd:/work\n", "id:uid=1000(app) gid=1000(app)",
                "env:GREETING=hello world\n");
        assertThat(Files.exists(tmp.resolve("state/containers/c1"))).isFalse();
        assertThat(Tools.run("crun", "list", "-q")).doesNotContain("c1");

        r = KrgoCli.run(home, env, null, "run", "--rm", "--runtime", "crun", "-u", "root", "--entrypoint", "/bin/sh",
                image, "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("CapEff:\t00000000a80425fb\nSeccomp:\t2\n"); // docker's 14, filter on
    }

    @Test
    void krgoStopReachesACrunContainer() throws Exception {
        Path out = tmp.resolve("stop.out");
        List<String> command = KrgoCli.javaCommand("run", "--rm", "--runtime", "crun", "--name", "c2",
                "--entrypoint", "/bin/sh", image, "-c",
                "trap 'echo got QUIT; exit 3' QUIT; echo ready; while true; do sleep 0.1; done");
        command.add(1, "-Duser.home=" + home);
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(tmp.resolve("stop.err").toFile());
        pb.environment().putAll(env);
        pb.environment().put("KRGO_CACHE", home.resolve("cache").toString());
        Process p = pb.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.readString(out).contains("ready")) {
            assertThat(p.isAlive()).as(Files.readString(tmp.resolve("stop.err"))).isTrue();
            assertThat(System.nanoTime()).as("container ready within 120 s").isLessThan(end);
            Thread.sleep(50);
        }
        assertThat(KrgoCli.run(home, env, null, "ps").stdout()).contains("c2", "running");
        KrgoCli.Result stop = KrgoCli.run(home, env, null, "stop", "c2");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(Files.readString(out)).contains("got QUIT");
        assertThat(Files.exists(tmp.resolve("state/containers/c2"))).isFalse();
    }
}
