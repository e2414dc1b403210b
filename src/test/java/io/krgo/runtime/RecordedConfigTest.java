package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every pull (plain, -g, oci:) keeps the image config's bytes beside the rootfs, so {@code krgo config}
 * needs neither the content store nor the registry.
 */
class RecordedConfigTest {
    @TempDir
    Path tmp;

    @Test
    void plainGitAndLayoutPullsRecordTheConfigBytesAndConfigWorksOffline() throws Exception {
        Path home = tmp.resolve("home");
        Path layout;
        String image;
        String configBytes;
        try (RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            layout = BusyboxImage.push(registry, tmp, "test/rec:1");
            image = registry.host() + "/test/rec:1";
            configBytes = Skopeo.run("inspect", "--tls-verify=false", "--config", "--raw", "docker://" + image);
            for (String[] pull : new String[][] {{"plain"}, {"git", "-g"}}) {
                KrgoCli.Result r = pull.length == 1
                        ? KrgoCli.run(home, (String) null, "pull", image, "-r", tmp.resolve(pull[0]).toString())
                        : KrgoCli.run(home, (String) null, "pull", image, "-r", tmp.resolve(pull[0]).toString(), pull[1]);
                assertThat(r.exitCode()).as(r.output()).isZero();
            }
        }
        KrgoCli.Result oci = KrgoCli.run(home, (String) null, "pull", "oci:" + layout + ":t", "-r",
                tmp.resolve("oci").toString());
        assertThat(oci.exitCode()).as(oci.output()).isZero();
        for (String dir : new String[] {"plain", "git", "oci"}) {
            assertThat(Files.readString(tmp.resolve("." + dir + ".krgo/config.json"), StandardCharsets.UTF_8))
                    .as(dir).isEqualTo(configBytes);
        }
        // registry gone, content store gone: config still works from the record
        Tools.deleteTree(home.resolve("cache"));
        KrgoCli.Result config = KrgoCli.run(home, (String) null, "config", "-r", tmp.resolve("plain").toString(),
                "-o", "-");
        assertThat(config.exitCode()).as(config.stderr()).isZero();
        assertThat(config.stdout()).contains("\"/entry.sh\"", "\"GREETING=hello world\"");
        // a rootfs whose record predates config.json, with the store gone too: one clear line
        Files.delete(tmp.resolve(".plain.krgo/config.json"));
        config = KrgoCli.run(home, (String) null, "config", "-r", tmp.resolve("plain").toString(), "-o", "-");
        assertThat(config.exitCode()).isEqualTo(2);
        assertThat(config.stderr()).startsWith("krgo: no image config recorded for " + tmp.resolve("plain"))
                .endsWith("pull the image into it again\n");
    }

    @Test
    void anOlderRecordFallsBackToTheContentStore() throws Exception {
        Path home = tmp.resolve("home");
        try (RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            BusyboxImage.push(registry, tmp, "test/old:1");
            KrgoCli.Result pull = KrgoCli.run(home, (String) null, "pull", registry.host() + "/test/old:1", "-r",
                    tmp.resolve("img").toString());
            assertThat(pull.exitCode()).as(pull.output()).isZero();
        }
        Files.delete(tmp.resolve(".img.krgo/config.json")); // as an older krgo left it: only image.json
        KrgoCli.Result config = KrgoCli.run(home, (String) null, "config", "-r", tmp.resolve("img").toString(), "-o", "-");
        assertThat(config.exitCode()).as(config.stderr()).isZero();
        assertThat(config.stdout()).contains("\"cwd\" : \"/work\"");

        // -o naming a device is written into, never replaced (a rename over /dev/null replaced the node)
        Path device = tmp.resolve("null");
        assertThat(new ProcessBuilder("mknod", "-m", "666", device.toString(), "c", "1", "3").inheritIO().start()
                .waitFor()).isZero();
        config = KrgoCli.run(home, (String) null, "config", "-r", tmp.resolve("img").toString(), "-o", device.toString());
        assertThat(config.exitCode()).as(config.stderr()).isZero();
        assertThat(Files.isRegularFile(device)).as("still the device").isFalse();
        assertThat(Files.readAttributes(device, "unix:mode").get("mode")).isEqualTo(0020666);
        try (var siblings = Files.list(tmp)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".null"));
        }
        // and a directory is refused with one line
        config = KrgoCli.run(home, (String) null, "config", "-r", tmp.resolve("img").toString(), "-o",
                tmp.resolve("img").toString());
        assertThat(config.exitCode()).isNotZero();
        assertThat(config.stderr()).contains("it is a directory");
        assertThat(Files.isDirectory(tmp.resolve("img").resolve("bin"))).isTrue();
    }
}
