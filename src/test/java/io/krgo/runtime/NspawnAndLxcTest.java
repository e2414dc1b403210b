package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code .nspawn} and LXC configs krgo writes from the image config, started by the real
 * {@code systemd-nspawn} (systemd-container) and {@code lxc-execute} (lxc), as root like CI.
 */
class NspawnAndLxcTest {
    @TempDir
    static Path tmp;
    static Path rootfs;

    @BeforeAll
    static void pull() {
        Path layout = BusyboxImage.layout(tmp, "t");
        rootfs = tmp.resolve("img");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", "oci:" + layout + ":t",
                "-r", rootfs.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
    }

    @Test
    void nspawnRunsTheImagesProcessFromTheSettingsFileBesideTheRootfs() throws Exception {
        Tools.require("systemd-nspawn", "systemd-container");
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r", rootfs.toString(),
                "--format", "nspawn", "-e", "QUOTED=say \"hi\" \\ back", "-e", "SINGLE=it's");
        assertThat(config.exitCode()).as(config.output()).isZero();
        assertThat(Files.readString(tmp.resolve("img.nspawn"))).contains("User=app\n", "WorkingDirectory=/work\n");
        Tools.Result run = Tools.runAllowingFailure(List.of("systemd-nspawn", "-q", "-D", rootfs.toString(), "--pipe",
                "--register=no", "--keep-unit"), Map.of());
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("args:a b c\n", "argc:2\n", "cwd:/work\n", "id:uid=1000(app) gid=1000(app)",
                "env:GREETING=hello world\n", "env:PATH=/bin\n", "env:QUOTED=say \"hi\" \\ back\n", "env:SINGLE=it's\n");
    }

    @Test
    void nspawnCannotExpressAUidWithoutANameAndSaysSo() {
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r", rootfs.toString(),
                "--format", "nspawn", "-o", tmp.resolve("uid.nspawn").toString(), "-u", "4242");
        assertThat(config.exitCode()).as(config.output()).isZero();
        assertThat(config.stderr().lines().toList()).singleElement().satisfies(l -> assertThat(l)
                .startsWith("krgo: warning: not honoured by nspawn: ").contains("User 4242 (no name", "ExposedPorts"));
    }

    @Test
    void lxcExecuteRunsTheImagesProcess() throws Exception {
        Tools.require("lxc-execute", "lxc");
        Path lxcPath = Files.createDirectories(tmp.resolve("lxc"));
        Path file = tmp.resolve("img.conf");
        KrgoCli.Result config = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r", rootfs.toString(),
                "--format", "lxc", "-o", file.toString(), "--", "it's", "two words", "");
        assertThat(config.exitCode()).as(config.output()).isZero();
        assertThat(config.stderr()).contains("supplementary groups [2000]", "seccomp profile");
        Tools.Result run = Tools.runAllowingFailure(List.of("lxc-execute", "-n", "krgo-test", "-f", file.toString(),
                "-P", lxcPath.toString()), Map.of());
        assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isZero();
        assertThat(run.stdout()).contains("args:it's two words \n", "argc:3\n", "cwd:/work\n",
                "id:uid=1000(app) gid=1000(app)\n", "env:GREETING=hello world\n", "env:HOME=/home/app\n");
    }

    @Test
    void lxcQuotingSurvivesLxcsOwnQuoteStripping() {
        assertThat(LxcConfig.argv(List.of("/bin/echo", "a b"))).isEqualTo("/bin/echo 'a b'");
        assertThat(LxcConfig.argv(List.of("/my dir/x", "a b"))).isEqualTo("'/my dir/x' \"a b\"");
        Tools.require("lxc-execute", "lxc");
    }
}
