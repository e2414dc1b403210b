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
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * containers' registries.conf against real registries: a fleet behind a real pull-through cache (Debian's
 * docker-registry in proxy mode) named as mirror, serving by digest with its upstream down; blocked
 * registries (exit code 8); prefix/location remapping; a mirror location with a path; a wildcard prefix; a
 * mirror that accepts connections and never answers. Files are the test's own, through
 * CONTAINERS_REGISTRIES_CONF and KRGO_CONFIG_ROOT (never the machine's /etc/containers).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistriesConfTest {
    private Path work;
    private RegistryHarness upstream;
    private RegistryHarness pathMirror;
    private RegistriesConfRuns runs;

    @BeforeAll
    void start() throws IOException {
        TestHosts.ensure();
        work = Files.createTempDirectory("krgo-registries-conf");
        runs = new RegistriesConfRuns(work);
        upstream = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        pathMirror = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        Path l2 = Fixtures.secondLayer(work.resolve("l2.tar"));
        OciFixtures.pushImage(upstream, work, "fleet/app:1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        OciFixtures.pushImage(upstream, work, "fleet/secret:1", new PlatformImage("linux", "amd64", List.of(l1)));
        // A Harbor-style proxy project: the origin's repositories below a path of the mirror.
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://" + upstream.host() + "/fleet/app:1", "docker://" + pathMirror.host() + "/proxy-cache/fleet/app:1");
    }

    @AfterAll
    void stop() {
        for (RegistryHarness r : new RegistryHarness[] {upstream, pathMirror}) {
            if (r != null) {
                r.close();
            }
        }
        Tools.deleteTree(work);
    }

    private Path dir(String name) {
        return work.resolve("rootfs-" + name);
    }

    @Test
    void aFleetPullsThroughTheCacheOncePerBlobAndByDigestWithTheUpstreamDown() throws IOException {
        try (RegistryHarness origin = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "docker://" + upstream.host() + "/fleet/app:1", "docker://" + origin.host() + "/fleet/app:1");
            String digest = Skopeo.run("inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                    "docker://" + origin.host() + "/fleet/app:1").strip();
            RegistryHarness cache = RegistryHarness.startPullThroughCache(origin);
            try (cache) {
                Path conf = runs.conf("fleet", "[[registry]]\nlocation = \"" + origin.host() + "\"\n"
                        + "[[registry.mirror]]\nlocation = \"" + cache.host() + "\"\n");
                long blobsBefore = origin.countRequests("GET", "/v2/fleet/app/blobs/sha256:.*");
                long afterFirst = 0;
                for (int host = 1; host <= 3; host++) {
                    KrgoCli.Result r = runs.krgo(conf, "pull", "-q", origin.host() + "/fleet/app:1", "-r",
                            dir("fleet" + host).toString());
                    assertThat(r.exitCode()).as(r.output()).isZero();
                    assertThat(r.stderr()).as("no warning: the mirror served it").isEmpty();
                    if (host == 1) {
                        afterFirst = origin.countRequests("GET", "/v2/fleet/app/blobs/sha256:.*");
                    }
                }
                assertThat(cache.countRequests("GET", "/v2/fleet/app/manifests/1")).isEqualTo(3);
                // The first machine's pull made the cache fetch the config and both layers (distribution's proxy
                // mode fetches a blob twice on a miss: once for the client, once to store it); the other
                // machines cost the upstream no blob at all.
                assertThat(afterFirst - blobsBefore).isBetween(3L, 6L);
                assertThat(origin.countRequests("GET", "/v2/fleet/app/blobs/sha256:.*")).isEqualTo(afterFirst);
                origin.close();
                KrgoCli.Result byDigest = runs.krgo(conf, "pull", "-q", origin.host() + "/fleet/app@" + digest, "-r",
                        dir("fleet4").toString());
                assertThat(byDigest.exitCode()).as(byDigest.output()).isZero();
                assertThat(byDigest.stderr()).isEmpty();
                assertThat(Tools.run("diff", "-r", dir("fleet1").toString(), dir("fleet4").toString())).isEmpty();
            }
        }
    }

    @Test
    void aBlockedRegistryIsRefusedWithExitCode8NamingTheFile() throws IOException {
        Path conf = runs.conf("blocked", "[[registry]]\nprefix = \"" + upstream.host() + "/fleet/secret\"\n"
                + "location = \"" + upstream.host() + "/fleet/secret\"\nblocked = true\n");
        KrgoCli.Result r = runs.krgo(conf, "pull", "-q", upstream.host() + "/fleet/secret:1", "-r",
                dir("blocked").toString());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(8);
        assertThat(r.stderr()).hasLineCount(1).contains("registry " + upstream.host() + "/fleet/secret is blocked by " + conf);
        assertThat(dir("blocked")).doesNotExist();
        KrgoCli.Result other = runs.krgo(conf, "pull", "-q", upstream.host() + "/fleet/app:1", "-r",
                dir("not-blocked").toString());
        assertThat(other.exitCode()).as(other.output()).isZero();
    }

    @Test
    void prefixesRemapToLocationsAndMirrorsMayHaveAPath() throws IOException {
        // corp.example.com is never contacted: the prefix sends its namespace to the test registry.
        Path remap = runs.conf("remap", "[[registry]]\nprefix = \"corp.example.com/team\"\nlocation = \""
                + upstream.host() + "/fleet\"\n");
        long before = upstream.countRequests("GET", "/v2/fleet/app/manifests/1");
        KrgoCli.Result r = runs.krgo(remap, "pull", "-q", "corp.example.com/team/app:1", "-r", dir("remap").toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(upstream.countRequests("GET", "/v2/fleet/app/manifests/1")).isEqualTo(before + 1);

        Path withPath = runs.conf("path-mirror", "[[registry]]\nlocation = \"" + upstream.host() + "\"\n"
                + "[[registry.mirror]]\nlocation = \"" + pathMirror.host() + "/proxy-cache\"\n");
        KrgoCli.Result m = runs.krgo(withPath, "pull", "-q", upstream.host() + "/fleet/app:1", "-r",
                dir("path").toString());
        assertThat(m.exitCode()).as(m.output()).isZero();
        assertThat(m.stderr()).isEmpty();
        assertThat(pathMirror.countRequests("GET", "/v2/proxy-cache/fleet/app/manifests/1")).isEqualTo(1);
        assertThat(upstream.countRequests("GET", "/v2/fleet/app/manifests/1")).isEqualTo(before + 1);

        // A wildcard prefix matches the host's subdomains (port aside); a digest-only mirror skips tags.
        Path wildcard = runs.conf("wildcard", "[[registry]]\nprefix = \"*.test\"\n"
                + "[[registry.mirror]]\nlocation = \"" + pathMirror.host() + "/nowhere\"\npull-from-mirror = \"digest-only\"\n"
                + "[[registry.mirror]]\nlocation = \"" + pathMirror.host() + "/proxy-cache\"\n");
        KrgoCli.Result w = runs.krgo(wildcard, "pull", "-q", upstream.hostAs(TestHosts.REGISTRY) + "/fleet/app:1",
                "-r", dir("wildcard").toString());
        assertThat(w.exitCode()).as(w.output()).isZero();
        assertThat(w.stderr()).isEmpty();
        assertThat(pathMirror.countRequests("GET", "/v2/proxy-cache/fleet/app/manifests/1")).isEqualTo(2);
        assertThat(pathMirror.countRequests("GET", "/v2/nowhere/.*")).isZero();
    }

    @Test
    void aMirrorThatNeverAnswersCostsAtMostFiveSecondsAndOneWarning() throws IOException {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accepted, never answered
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-mirror");
            acceptor.setDaemon(true);
            acceptor.start();
            Path conf = runs.conf("silent", "[[registry]]\nlocation = \"" + upstream.host() + "\"\n"
                    + "[[registry.mirror]]\nlocation = \"127.0.0.1:" + silent.getLocalPort() + "\"\n");
            Path noMirror = runs.conf("none", "");
            long t0 = System.nanoTime();
            KrgoCli.Result plain = runs.krgo(noMirror, "pull", "-q", upstream.host() + "/fleet/app:1", "-r",
                    dir("s0").toString());
            long normal = System.nanoTime() - t0;
            assertThat(plain.exitCode()).as(plain.output()).isZero();
            long t1 = System.nanoTime();
            KrgoCli.Result r = runs.krgo(conf, "pull", "-q", upstream.host() + "/fleet/app:1", "-r",
                    dir("s1").toString());
            long withSilent = System.nanoTime() - t1;
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.stderr().lines().filter(l -> l.contains("mirror 127.0.0.1:" + silent.getLocalPort() + " skipped")))
                    .hasSize(1);
            assertThat(r.stderr().lines().count()).as(r.stderr()).isEqualTo(1);
            assertThat((withSilent - normal) / 1_000_000).as("extra milliseconds").isLessThan(5_000 + 1_500);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
