package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistriesConfRuns;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TestHosts;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * registries.conf for every command that resolves a registry, not only pull: {@code blocked} refuses inspect,
 * digest, tags, copy (either end) and push with exit code 8; reads (inspect, digest, tags, copy's source) go to
 * the {@code location} a prefix remaps to, also under a wildcard prefix; writes go to the name as given (as
 * containers/image); {@code insecure} lets a plain-HTTP registry reached by a host name through. Against a real
 * registry; files through CONTAINERS_REGISTRIES_CONF and KRGO_CONFIG_ROOT only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistriesConfCommandsTest {
    private Path work;
    private RegistriesConfRuns runs;
    private RegistryHarness upstream;
    private String digest;

    @BeforeAll
    void start() throws IOException {
        TestHosts.ensure();
        work = Files.createTempDirectory("krgo-registries-conf-commands");
        runs = new RegistriesConfRuns(work);
        upstream = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        Path layer = OciFixtures.tar(work.resolve("layer.tar"), Map.of("etc/conf", "remapped\n"));
        OciFixtures.pushImage(upstream, work, "fleet/app:1", new PlatformImage("linux", "amd64", List.of(layer)));
        OciFixtures.pushImage(upstream, work, "fleet/secret:1", new PlatformImage("linux", "amd64", List.of(layer)));
        digest = Skopeo.run("inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                "docker://" + upstream.host() + "/fleet/app:1").strip();
    }

    @AfterAll
    void stop() {
        if (upstream != null) {
            upstream.close();
        }
        Tools.deleteTree(work);
    }

    @Test
    void aBlockedRegistryIsRefusedByEveryCommandWithExitCode8() throws IOException {
        String secret = upstream.host() + "/fleet/secret";
        Path conf = runs.conf("blocked", "[[registry]]\nlocation = \"" + secret + "\"\nblocked = true\n");
        Path rootfs = Files.createDirectories(work.resolve("push-me/etc"));
        Files.writeString(rootfs.resolve("hello"), "hi\n");
        List<String[]> commands = List.of(
                new String[] {"inspect", secret + ":1"},
                new String[] {"digest", secret + ":1"},
                new String[] {"tags", secret},
                new String[] {"copy", secret + ":1", upstream.host() + "/fleet/copy:1"},
                new String[] {"copy", upstream.host() + "/fleet/app:1", secret + ":2"},
                new String[] {"push", secret + ":3", "-r", rootfs.getParent().toString()});
        long writes = upstream.countRequests("PUT", "/v2/fleet/.*");
        for (String[] args : commands) {
            KrgoCli.Result r = runs.krgo(conf, args);
            assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.output()).isEqualTo(8);
            assertThat(r.stderr()).hasLineCount(1).contains("registry " + secret + " is blocked by " + conf);
        }
        assertThat(upstream.countRequests("PUT", "/v2/fleet/.*")).as("nothing written").isEqualTo(writes);
        KrgoCli.Result other = runs.krgo(conf, "digest", upstream.host() + "/fleet/app:1");
        assertThat(other.exitCode()).as(other.output()).isZero();
    }

    @Test
    void readsGoToTheRemappedLocation() throws IOException {
        // corp.example.com is never contacted: the prefix sends its namespace to the test registry.
        Path remap = runs.conf("remap", "[[registry]]\nprefix = \"corp.example.com/team\"\nlocation = \""
                + upstream.host() + "/fleet\"\n");
        KrgoCli.Result d = runs.krgo(remap, "digest", "corp.example.com/team/app:1");
        assertThat(d.exitCode()).as(d.output()).isZero();
        assertThat(d.stdout().strip()).isEqualTo(digest);
        KrgoCli.Result inspect = runs.krgo(remap, "inspect", "corp.example.com/team/app:1");
        assertThat(inspect.exitCode()).as(inspect.output()).isZero();
        assertThat(inspect.stdout()).contains(digest);
        KrgoCli.Result tags = runs.krgo(remap, "tags", "corp.example.com/team/app");
        assertThat(tags.exitCode()).as(tags.output()).isZero();
        assertThat(tags.stdout().lines()).containsExactly("1");
        KrgoCli.Result copy = runs.krgo(remap, "copy", "corp.example.com/team/app:1",
                upstream.host() + "/copied/app:1");
        assertThat(copy.exitCode()).as(copy.output()).isZero();
        assertThat(upstream.countRequests("PUT", "/v2/copied/app/manifests/1")).isEqualTo(1);

        // A wildcard prefix with a location: the matched host (with its port) is replaced by the location.
        Path wildcard = runs.conf("wildcard", "[[registry]]\nprefix = \"*.test\"\nlocation = \"" + upstream.host()
                + "/fleet\"\n");
        KrgoCli.Result w = runs.krgo(wildcard, "pull", "-q", TestHosts.REGISTRY + ":1/app:1", "-r",
                work.resolve("wildcard").toString());
        assertThat(w.exitCode()).as(w.output()).isZero();
        assertThat(work.resolve("wildcard/etc/conf")).hasContent("remapped");
    }

    @Test
    void writesGoToTheNameAsGivenAndInsecureLetsPlainHttpThrough() throws IOException {
        String named = upstream.hostAs(TestHosts.REGISTRY);
        Path none = runs.conf("none", "");
        KrgoCli.Result refused = runs.krgo(none, "copy", upstream.host() + "/fleet/app:1", named + "/remapped/app:1");
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(4);
        assertThat(refused.stderr()).hasLineCount(1).contains("it answers in plain HTTP, not HTTPS");

        Path conf = runs.conf("insecure-remap", "[[registry]]\nprefix = \"" + named + "/remapped\"\nlocation = \""
                + upstream.host() + "/elsewhere\"\ninsecure = true\n");
        KrgoCli.Result copied = runs.krgo(conf, "copy", upstream.host() + "/fleet/app:1", named + "/remapped/app:1");
        assertThat(copied.exitCode()).as(copied.output()).isZero();
        assertThat(upstream.countRequests("PUT", "/v2/remapped/app/manifests/1")).isEqualTo(1);
        assertThat(upstream.countRequests("PUT", "/v2/elsewhere/.*")).isZero();
        // Reading the same name goes to the location, where nothing was written.
        KrgoCli.Result read = runs.krgo(conf, "digest", named + "/remapped/app:1");
        assertThat(read.exitCode()).as(read.output()).isEqualTo(2);
        assertThat(read.stderr()).contains("image not found");
        assertThat(upstream.countRequests("HEAD", "/v2/elsewhere/app/manifests/1")).isEqualTo(1);
    }
}
