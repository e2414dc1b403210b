package io.krgo.runtime;

import io.krgo.image.Json;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code krgo run} with the real runc, as root: exit codes, signals, --rm, overrides, unpack once, ps/stop/rm/prune. */
class RunTest {
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/run:1", BusyboxImage::push).requiring("runc", "runc");

    @Test
    void runsTheImageAndExitsWithItsStatus() {
        KrgoCli.Result r = served.krgo("run", "--rm", served.image());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("args:a b c\n", "cwd:/work\n", "id:uid=1000(app) gid=1000(app)",
                "env:GREETING=hello world\n");
        assertThat(r.stderr()).contains("not honoured by oci: ").contains("ExposedPorts");

        r = served.krgo("run", "--rm", "-e", "EXIT_CODE=42", "-w", "/tmp", "-u", "root", served.image(), "x", "y z");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).contains("args:x y z\n", "argc:2\n", "cwd:/tmp\n", "id:uid=0(root) gid=0(root)");

        r = served.krgo("run", "--rm", "--entrypoint", "/bin/echo", served.image(), "hello");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hello\n");
    }

    @Test
    void oneDoubleDashAfterTheImageSeparatesALaterOneIsAnArgument() throws IOException {
        KrgoCli.Result r = served.krgo("run", "--rm", served.image(), "--", "x", "y z");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("args:x y z\n", "argc:2\n");
        // sh -c's next argument is $0: the second "--" reaches the container
        r = served.krgo("run", "--rm", "--entrypoint", "/bin/sh", served.image(), "--", "-c", "echo \"$0|$*\"", "--", "a");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("--|a\n");

        Path dir = tmp.resolve("dashes/rootfs");
        KrgoCli.Result pull = served.krgo("pull", served.image(), "-r", dir.toString(), "-q");
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        r = served.krgo("run", "--rm", "-r", dir.toString(), "--", "x", "y z");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("args:x y z\n", "argc:2\n");
        r = served.krgo("run", "--rm", "-r", dir.toString(), "--entrypoint", "/bin/sh", "--", "-c", "echo \"$0|$*\"", "--", "a");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("--|a\n");
        KrgoCli.Result config = served.krgo("config", "-r", dir.toString(), "-o", "-", "--", "sh", "-c", "x", "--", "a");
        assertThat(config.exitCode()).as(config.stderr()).isZero();
        assertThat(Json.MAPPER.readTree(config.stdout()).path("process").path("args").toString())
                .isEqualTo("[\"/entry.sh\",\"sh\",\"-c\",\"x\",\"--\",\"a\"]");
    }

    @Test
    void notFoundIs127NotExecutableIs126KrgoFailuresAre125() {
        KrgoCli.Result r = served.krgo("run", "--rm", "--entrypoint", "nothere", served.image());
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderr()).endsWith("krgo: exec: \"nothere\": executable file not found in $PATH\n");
        r = served.krgo("run", "--rm", "--entrypoint", "/etc/passwd", served.image());
        assertThat(r.exitCode()).isEqualTo(126);
        r = served.krgo("run", "--rm", served.registry().host() + "/test/absent:1");
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr()).startsWith("krgo: ").contains("not found");
        r = served.krgo("run", "--rm", "-u", "nobody", served.image());
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr()).contains("user 'nobody' not found");
    }

    @Test
    void theImageIsUnpackedOnceAndAHotRunMakesNoRequest() throws IOException {
        KrgoCli.Result first = served.krgo("run", "--rm", "--entrypoint", "/bin/true", served.image());
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        RegistryHarness registry = served.registry();
        long requests = registry.countRequests("GET", ".*") + registry.countRequests("HEAD", ".*");
        KrgoCli.Result hot = served.krgo("run", "--rm", "--entrypoint", "/bin/true", served.image());
        assertThat(hot.exitCode()).as(hot.stderr()).isZero();
        assertThat(registry.countRequests("GET", ".*") + registry.countRequests("HEAD", ".*")).isEqualTo(requests);
        try (var images = Files.list(served.state().resolve("images"))) {
            assertThat(images.filter(p -> !p.getFileName().toString().startsWith(".")).count()).isEqualTo(1);
        }
    }

    @Test
    void rmLeavesNoContainerMountOrRuntimeState() throws IOException {
        KrgoCli.Result r = served.krgo("run", "--rm", "--name", "gone", "--entrypoint", "/bin/sh", served.image(),
                "-c", "exit 3");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(Files.exists(served.state().resolve("containers/gone"))).isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/gone");
        assertThat(Tools.run("runc", "list", "-q")).doesNotContain("gone");

        r = served.krgo("run", "--name", "kept", "--entrypoint", "/bin/true", served.image());
        assertThat(r.exitCode()).isZero();
        assertThat(served.krgo("ps").stdout()).contains("kept", "exited");
        assertThat(served.krgo("rm", "kept").exitCode()).isZero();
        assertThat(Files.exists(served.state().resolve("containers/kept"))).isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/kept");
    }

    private static final String LOOP = "echo ready; while true; do sleep 0.1; done";

    @Test
    void sigtermReachesATrappingPid1AndKrgoExits143() throws Exception {
        Path out = tmp.resolve("term.out");
        Process p = served.background(out, "run", "--rm", "--name", "trapper", "--entrypoint", "/bin/sh",
                served.image(), "-c", "trap 'echo got TERM; exit 143' TERM; " + LOOP);
        p.destroy(); // SIGTERM to krgo
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(Files.readString(out)).contains("got TERM");
        assertThat(Files.exists(served.state().resolve("containers/trapper"))).as("--rm after a signal").isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/trapper");
    }

    @Test
    void aPid1IgnoringSigtermIsKilledByASecondSigtermAfterTheStopTimeout() throws Exception {
        Path out = tmp.resolve("ignore.out");
        Process p = served.background(out, "run", "--rm", "--stop-timeout", "1", "--entrypoint", "/bin/sh",
                served.image(), "-c", LOOP);
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
        Process p = served.background(out, "run", "--rm", "--name", "quitter", "--entrypoint", "/bin/sh",
                served.image(), "-c", "trap 'echo got QUIT; exit 3' QUIT; " + LOOP);
        KrgoCli.Result ps = served.krgo("ps");
        assertThat(ps.stdout()).contains("quitter", "running");
        KrgoCli.Result stop = served.krgo("stop", "quitter");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(Files.readString(out, StandardCharsets.UTF_8)).contains("got QUIT");
        assertThat(Files.exists(served.state().resolve("containers/quitter"))).isFalse();
    }

    @Test
    void aContainerOfAKilledKrgoIsListedAndPruneStopsIt() throws Exception {
        Path out = tmp.resolve("orphan.out");
        Process p = served.background(out, "run", "--name", "orphan", "--entrypoint", "/bin/sh", served.image(), "-c",
                LOOP);
        p.destroyForcibly(); // SIGKILL: krgo cannot clean up
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(served.krgo("ps").stdout()).contains("orphan", "running");
        KrgoCli.Result prune = served.krgo("prune");
        assertThat(prune.exitCode()).as(prune.stderr()).isZero();
        assertThat(prune.stdout()).contains("removed container orphan");
        assertThat(Files.exists(served.state().resolve("containers/orphan"))).isFalse();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("containers/orphan");
        assertThat(Tools.run("runc", "list", "-q")).doesNotContain("orphan");
    }

    @Test
    void stdinOnlyWithDashIAndTheHostNameIsInEtcHosts() {
        KrgoCli.Result r = served.krgoWithStdin("piped\n", "run", "--rm", "-i", "--entrypoint", "/bin/cat",
                served.image());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("piped\n");
        r = served.krgoWithStdin("piped\n", "run", "--rm", "--entrypoint", "/bin/cat", served.image());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEmpty();
        // busybox-static has no NSS (no getent): the generated /etc/hosts is checked for the host's name instead
        r = served.krgo("run", "--rm", "--entrypoint", "/bin/sh", served.image(), "-c",
                "grep -w \"$(hostname)\" /etc/hosts");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).startsWith("127.0.1.1\t");
    }

    @Test
    void pruneRemovesStoppedContainersAndUnusedImages() {
        KrgoCli.Result r = served.krgo("run", "--name", "old", "--entrypoint", "/bin/true", served.image());
        assertThat(r.exitCode()).isZero();
        KrgoCli.Result prune = served.krgo("prune");
        assertThat(prune.exitCode()).as(prune.stderr()).isZero();
        assertThat(prune.stdout()).contains("removed container old", "removed image sha256:");
        assertThat(served.krgo("ps").stdout().lines().toList()).hasSize(1); // the header
        List<String> left = new ArrayList<>();
        try (var s = Files.list(served.state().resolve("containers"))) {
            s.forEach(x -> left.add(x.toString()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(left).isEmpty();
    }
}
