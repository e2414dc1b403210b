package io.krgo.runtime;

import io.krgo.image.Json;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code krgo run} with the real runc, as root: exit codes, signals, --rm, overrides, unpack once, ps/stop/rm/prune. */
class RunTest {
    @TempDir
    static Path tmp;
    static RegistryHarness registry;
    static String image;
    static Path home;
    static Map<String, String> env;

    @BeforeAll
    static void pushImage() {
        Tools.require("runc", "runc");
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        BusyboxImage.push(registry, tmp, "test/run:1");
        image = registry.host() + "/test/run:1";
        home = tmp.resolve("home");
        env = Map.of("KRGO_STATE", tmp.resolve("state").toString());
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static KrgoCli.Result krgo(String... args) {
        return KrgoCli.run(home, env, null, args);
    }

    @Test
    void runsTheImageAndExitsWithItsStatus() {
        KrgoCli.Result r = krgo("run", "--rm", image);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("args:a b c\n", "cwd:/work\n", "id:uid=1000(app) gid=1000(app)",
                "env:GREETING=hello world\n");
        assertThat(r.stderr()).contains("not honoured by oci: ").contains("ExposedPorts");

        r = krgo("run", "--rm", "-e", "EXIT_CODE=42", "-w", "/tmp", "-u", "root", image, "x", "y z");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).contains("args:x y z\n", "argc:2\n", "cwd:/tmp\n", "id:uid=0(root) gid=0(root)");

        r = krgo("run", "--rm", "--entrypoint", "/bin/echo", image, "hello");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hello\n");
    }

    @Test
    void oneDoubleDashAfterTheImageSeparatesALaterOneIsAnArgument() throws IOException {
        KrgoCli.Result r = krgo("run", "--rm", image, "--", "x", "y z");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("args:x y z\n", "argc:2\n");
        // sh -c's next argument is $0: the second "--" reaches the container
        r = krgo("run", "--rm", "--entrypoint", "/bin/sh", image, "--", "-c", "echo \"$0|$*\"", "--", "a");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("--|a\n");

        Path dir = tmp.resolve("dashes/rootfs");
        KrgoCli.Result pull = krgo("pull", image, "-r", dir.toString(), "-q");
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        r = krgo("run", "--rm", "-r", dir.toString(), "--", "x", "y z");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("args:x y z\n", "argc:2\n");
        r = krgo("run", "--rm", "-r", dir.toString(), "--entrypoint", "/bin/sh", "--", "-c", "echo \"$0|$*\"", "--", "a");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("--|a\n");
        KrgoCli.Result config = krgo("config", "-r", dir.toString(), "-o", "-", "--", "sh", "-c", "x", "--", "a");
        assertThat(config.exitCode()).as(config.stderr()).isZero();
        assertThat(Json.MAPPER.readTree(config.stdout()).path("process").path("args").toString())
                .isEqualTo("[\"/entry.sh\",\"sh\",\"-c\",\"x\",\"--\",\"a\"]");
    }

    @Test
    void notFoundIs127NotExecutableIs126KrgoFailuresAre125() {
        KrgoCli.Result r = krgo("run", "--rm", "--entrypoint", "nothere", image);
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderr()).endsWith("krgo: exec: \"nothere\": executable file not found in $PATH\n");
        r = krgo("run", "--rm", "--entrypoint", "/etc/passwd", image);
        assertThat(r.exitCode()).isEqualTo(126);
        r = krgo("run", "--rm", registry.host() + "/test/absent:1");
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr()).startsWith("krgo: ").contains("not found");
        r = krgo("run", "--rm", "-u", "nobody", image);
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr()).contains("user 'nobody' not found");
    }

    @Test
    void theImageIsUnpackedOnceAndAHotRunMakesNoRequest() throws IOException {
        KrgoCli.Result first = krgo("run", "--rm", "--entrypoint", "/bin/true", image);
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        long requests = registry.countRequests("GET", ".*") + registry.countRequests("HEAD", ".*");
        KrgoCli.Result hot = krgo("run", "--rm", "--entrypoint", "/bin/true", image);
        assertThat(hot.exitCode()).as(hot.stderr()).isZero();
        assertThat(registry.countRequests("GET", ".*") + registry.countRequests("HEAD", ".*")).isEqualTo(requests);
        try (var images = Files.list(tmp.resolve("state/images"))) {
            assertThat(images.filter(p -> !p.getFileName().toString().startsWith(".")).count()).isEqualTo(1);
        }
    }

    @Test
    void rmLeavesNoContainerMountOrRuntimeState() throws IOException {
        KrgoCli.Result r = krgo("run", "--rm", "--name", "gone", "--entrypoint", "/bin/sh", image, "-c", "exit 3");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(Files.exists(tmp.resolve("state/containers/gone"))).isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/gone");
        assertThat(Tools.run("runc", "list", "-q")).doesNotContain("gone");

        r = krgo("run", "--name", "kept", "--entrypoint", "/bin/true", image);
        assertThat(r.exitCode()).isZero();
        assertThat(krgo("ps").stdout()).contains("kept", "exited");
        assertThat(krgo("rm", "kept").exitCode()).isZero();
        assertThat(Files.exists(tmp.resolve("state/containers/kept"))).isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/kept");
    }

    /** Starts krgo run in the background, returning once the container printed "ready". */
    private static Process background(Path out, String... args) throws Exception {
        List<String> command = KrgoCli.javaCommand(args);
        command.add(1, "-Duser.home=" + home);
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(out.resolveSibling(out.getFileName() + ".err").toFile()));
        pb.environment().putAll(env);
        pb.environment().put("KRGO_CACHE", home.resolve("cache").toString());
        Process p = pb.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(out) && Files.readString(out).contains("ready"))) {
            assertThat(p.isAlive()).as(Files.readString(out.resolveSibling(out.getFileName() + ".err"))).isTrue();
            assertThat(System.nanoTime()).as("container ready within 60 s").isLessThan(end);
            Thread.sleep(50);
        }
        return p;
    }

    private static final String LOOP = "echo ready; while true; do sleep 0.1; done";

    @Test
    void sigtermReachesATrappingPid1AndKrgoExits143() throws Exception {
        Path out = tmp.resolve("term.out");
        Process p = background(out, "run", "--rm", "--name", "trapper", "--entrypoint", "/bin/sh", image, "-c",
                "trap 'echo got TERM; exit 143' TERM; " + LOOP);
        p.destroy(); // SIGTERM to krgo
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(Files.readString(out)).contains("got TERM");
        assertThat(Files.exists(tmp.resolve("state/containers/trapper"))).as("--rm after a signal").isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/trapper");
    }

    @Test
    void aPid1IgnoringSigtermIsKilledByASecondSigtermAfterTheStopTimeout() throws Exception {
        Path out = tmp.resolve("ignore.out");
        Process p = background(out, "run", "--rm", "--stop-timeout", "1", "--entrypoint", "/bin/sh", image, "-c", LOOP);
        p.destroy();
        Thread.sleep(500);
        assertThat(p.isAlive()).as("PID 1 without a handler ignores SIGTERM").isTrue();
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);
    }

    @Test
    void krgoStopSendsTheImagesStopSignal() throws Exception {
        Path out = tmp.resolve("quit.out");
        Process p = background(out, "run", "--rm", "--name", "quitter", "--entrypoint", "/bin/sh", image, "-c",
                "trap 'echo got QUIT; exit 3' QUIT; " + LOOP);
        KrgoCli.Result ps = krgo("ps");
        assertThat(ps.stdout()).contains("quitter", "running");
        KrgoCli.Result stop = krgo("stop", "quitter");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(Files.readString(out, StandardCharsets.UTF_8)).contains("got QUIT");
        assertThat(Files.exists(tmp.resolve("state/containers/quitter"))).isFalse();
    }

    @Test
    void aContainerOfAKilledKrgoIsListedAndPruneStopsIt() throws Exception {
        Path out = tmp.resolve("orphan.out");
        Process p = background(out, "run", "--name", "orphan", "--entrypoint", "/bin/sh", image, "-c", LOOP);
        p.destroyForcibly(); // SIGKILL: krgo cannot clean up
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(krgo("ps").stdout()).contains("orphan", "running");
        KrgoCli.Result prune = krgo("prune");
        assertThat(prune.exitCode()).as(prune.stderr()).isZero();
        assertThat(prune.stdout()).contains("removed container orphan");
        assertThat(Files.exists(tmp.resolve("state/containers/orphan"))).isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/orphan");
        assertThat(Tools.run("runc", "list", "-q")).doesNotContain("orphan");
    }

    @Test
    void stdinOnlyWithDashIAndTheHostNameIsInEtcHosts() {
        KrgoCli.Result r = KrgoCli.run(home, env, "piped\n", "run", "--rm", "-i", "--entrypoint", "/bin/cat", image);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("piped\n");
        r = KrgoCli.run(home, env, "piped\n", "run", "--rm", "--entrypoint", "/bin/cat", image);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEmpty();
        // busybox-static has no NSS (no getent): the generated /etc/hosts is checked for the host's name instead
        r = krgo("run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "grep -w \"$(hostname)\" /etc/hosts");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).startsWith("127.0.1.1\t");
    }

    @Test
    void pruneRemovesStoppedContainersAndUnusedImages() {
        KrgoCli.Result r = krgo("run", "--name", "old", "--entrypoint", "/bin/true", image);
        assertThat(r.exitCode()).isZero();
        KrgoCli.Result prune = krgo("prune");
        assertThat(prune.exitCode()).as(prune.stderr()).isZero();
        assertThat(prune.stdout()).contains("removed container old", "removed image sha256:");
        assertThat(krgo("ps").stdout().lines().toList()).hasSize(1); // the header
        List<String> left = new ArrayList<>();
        try (var s = Files.list(tmp.resolve("state/containers"))) {
            s.forEach(x -> left.add(x.toString()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(left).isEmpty();
    }
}
