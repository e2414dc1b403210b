package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.image.Json;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code krgo pull IMAGE --bundle B} and {@code krgo config}, started by the real runc (as root, like CI):
 * the container prints what the image's Entrypoint + Cmd, Env, WorkingDir and User (a name) say, and the
 * run options override each as docker's do.
 */
class RuncBundleTest {
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/busybox:1", BusyboxImage::push);

    @Test
    void pulledBundleRunsTheImagesProcessAsItsNamedUser() {
        Path bundle = tmp.resolve("bundle");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", served.image(), "--bundle",
                bundle.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        assertThat(Files.isRegularFile(bundle.resolve("config.json"))).isTrue();
        // The one line naming what no runtime config can honour.
        assertThat(pull.stderr().lines().filter(l -> l.contains("not honoured")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains("ExposedPorts (8080/tcp").contains("Volumes (/data"));

        Tools.Result run = BusyboxImage.runc(bundle, "krgo-test-bundle");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("args:a b c\n", "argc:2\n", "cwd:/work\n",
                "id:uid=1000(app) gid=1000(app) groups=2000(extra)\n",
                "env:GREETING=hello world\n", "env:PATH=/bin\n", "env:HOME=/home/app\n");
    }

    @Test
    void runOptionsOverrideAsDockersDo() throws Exception {
        Path bundle = tmp.resolve("over");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", served.image(), "-r",
                bundle.resolve("rootfs").toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        Path envFile = Files.writeString(tmp.resolve("env.list"), "# comment\nFROM_FILE=x y\nGREETING=from file\n");
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), java.util.Map.of("HOST_ONLY", "passed"), null,
                "config", "-r", bundle.resolve("rootfs").toString(), "--env-file", envFile.toString(),
                "-e", "GREETING=from flag", "-e", "HOST_ONLY", "-e", "UNSET_ON_HOST", "-w", "/tmp", "-u", "1000:2000",
                "--", "one", "two words");
        assertThat(config.exitCode()).as(config.output()).isZero();
        assertThat(config.stdout()).contains("Wrote " + bundle.resolve("config.json"));
        Tools.Result run = BusyboxImage.runc(bundle, "krgo-test-over");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("args:one two words\n", "argc:2\n", "cwd:/tmp\n",
                "id:uid=1000(app) gid=2000(extra)", "env:GREETING=from flag\n", "env:FROM_FILE=x y\n",
                "env:HOST_ONLY=passed\n").doesNotContain("UNSET_ON_HOST").doesNotContain("groups=1000(app),2000");

        config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r", bundle.resolve("rootfs").toString(),
                "--entrypoint", "/bin/echo", "-u", "root", "--", "hello");
        assertThat(config.exitCode()).as(config.output()).isZero();
        run = BusyboxImage.runc(bundle, "krgo-test-entry");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).isEqualTo("hello\n"); // --entrypoint clears the image's Cmd

        config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r", bundle.resolve("rootfs").toString(),
                "--entrypoint", "", "-u", "0", "--", "/bin/sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status; hostname;"
                        + " cat /etc/hostname; grep -c . /etc/hosts; cat /etc/resolv.conf >/dev/null && echo resolv");
        assertThat(config.exitCode()).as(config.output()).isZero();
        run = BusyboxImage.runc(bundle, "krgo-test-caps");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        // docker's 14 default capabilities are exactly this mask; mode 2 is a seccomp filter
        assertThat(run.stdout()).contains("CapEff:\t00000000a80425fb\n", "Seccomp:\t2\n", host + "\n" + host + "\n",
                "resolv\n");
    }

    @Test
    void capabilityAndSeccompOptions() {
        Path bundle = tmp.resolve("caps");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", served.image(), "--bundle",
                bundle.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r", bundle.resolve("rootfs").toString(),
                "--cap-drop", "ALL", "--cap-add", "net_admin", "--security-opt", "seccomp=unconfined",
                "--network", "none", "--read-only", "--hostname", "boxy", "-u", "root", "--entrypoint", "/bin/sh", "--",
                "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status; hostname; touch /x 2>/dev/null || echo ro;"
                        + " ls /sys/class/net");
        assertThat(config.exitCode()).as(config.output()).isZero();
        Tools.Result run = BusyboxImage.runc(bundle, "krgo-test-caps2");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("CapEff:\t0000000000001000\n", "Seccomp:\t0\n", "boxy\n", "ro\n")
                .endsWith("lo\n");
    }

    @Test
    void rootlessOnRequestAsRoot() throws Exception {
        Path bundle = tmp.resolve("rootless");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", served.image(), "--bundle", bundle.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        String rootful = Files.readString(bundle.resolve("config.json"));
        assertThat(rootful).doesNotContain("uidMappings"); // root's default
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "--rootless", "-r",
                bundle.resolve("rootfs").toString());
        assertThat(config.exitCode()).as(config.output()).isZero();
        JsonNode c = Json.MAPPER.readTree(bundle.resolve("config.json").toFile());
        assertThat(c.path("linux").path("namespaces").toString()).contains("{\"type\":\"user\"}");
        // root's own pull is root's: the one id mapped is 0, and the process is root in the namespace
        assertThat(c.path("linux").path("uidMappings").toString()).isEqualTo("[{\"containerID\":0,\"hostID\":0,\"size\":1}]");
        assertThat(c.path("linux").path("gidMappings").toString()).isEqualTo("[{\"containerID\":0,\"hostID\":0,\"size\":1}]");
        Tools.Result valid = OciConfigConformanceTest.validate(bundle.resolve("config.json"));
        assertThat(valid.exitCode()).as(valid.stdout() + valid.stderr()).isZero();
        Tools.Result run = BusyboxImage.runc(bundle, "krgo-test-rootless");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("id:uid=0(root) gid=0(root)", "args:a b c\n");

        config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "--no-rootless", "-r",
                bundle.resolve("rootfs").toString());
        assertThat(config.exitCode()).as(config.output()).isZero();
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(rootful);
        config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "--rootless", "--format", "lxc", "-r",
                bundle.resolve("rootfs").toString());
        assertThat(config.exitCode()).isEqualTo(1);
        assertThat(config.stderr()).isEqualTo("krgo: --rootless is for --format oci (runc, crun)\n");
    }

    @Test
    void unknownUserIsAClearError() {
        Path bundle = tmp.resolve("nouser");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", served.image(), "--bundle",
                bundle.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r",
                bundle.resolve("rootfs").toString(), "-u", "nobody");
        assertThat(config.exitCode()).isEqualTo(2);
        assertThat(config.stderr()).isEqualTo("krgo: user 'nobody' not found in /etc/passwd of "
                + bundle.resolve("rootfs") + "\n");
        assertThat(List.of(config.stdout())).containsExactly("");
    }
}
