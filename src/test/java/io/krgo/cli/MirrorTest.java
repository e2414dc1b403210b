package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mirrors: a second real registry holding a copy of the origin's image stands in for a pull-through cache.
 * Pulls go to the mirror first and fall back to the origin when the mirror is down or lacks the image.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MirrorTest {
    private static final String MANIFESTS = "/v2/demo/[a-z]+/manifests/.*";
    private RegistryHarness origin;
    private RegistryHarness mirror;
    private Path work;
    private Path home;
    private TreeSnapshot expected;

    @BeforeAll
    void start() throws Exception {
        origin = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        mirror = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        work = Files.createTempDirectory("krgo-mirror-test");
        home = Files.createDirectories(work.resolve("home"));
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        Path l2 = Fixtures.secondLayer(work.resolve("l2.tar"));
        OciFixtures.pushImage(origin, work, "demo/app:v1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        OciFixtures.pushImage(origin, work, "demo/only:v1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://" + origin.host() + "/demo/app:v1", "docker://" + mirror.host() + "/demo/app:v1");
        Path reference = work.resolve("reference");
        assertThat(KrgoCli.runInProcess(home, null, "pull", "-q", origin.host() + "/demo/app:v1", "-r",
                reference.toString()).exitCode())
                .isZero();
        expected = TreeSnapshot.of(reference);
    }

    @AfterAll
    void stop() {
        for (RegistryHarness r : new RegistryHarness[] {origin, mirror}) {
            if (r != null) {
                r.close();
            }
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result pull(String image, String dir, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("pull", image, "-r", work.resolve(dir).toString()));
        args.addAll(List.of(extra));
        KrgoCli.Result r = KrgoCli.runInProcess(home, null, args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void pullGoesThroughTheMirror() throws Exception {
        long originBefore = origin.countRequests("GET", MANIFESTS);
        long mirrorBefore = mirror.countRequests("GET", MANIFESTS);
        KrgoCli.Result r = pull(origin.host() + "/demo/app:v1", "via-mirror", "--mirror", mirror.host(), "--force");
        assertThat(r.stderr()).doesNotContain("warning");
        assertThat(TreeSnapshot.of(work.resolve("via-mirror")).diff(expected)).isEmpty();
        assertThat(mirror.countRequests("GET", MANIFESTS)).isGreaterThan(mirrorBefore);
        assertThat(origin.countRequests("GET", MANIFESTS)).isEqualTo(originBefore);
    }

    @Test
    void aRealPullThroughCacheServesAndKeepsServingWhenTheOriginIsGone() throws Exception {
        TreeSnapshot got;
        try (RegistryHarness upstream = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
             RegistryHarness cache = RegistryHarness.startPullThroughCache(upstream)) {
            Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "docker://" + origin.host() + "/demo/app:v1", "docker://" + upstream.host() + "/demo/app:v1");
            // a fresh home: krgo's own blob cache must not spare the download through the mirror
            Path firstHome = Files.createDirectories(work.resolve("home-cache-1"));
            KrgoCli.Result first = KrgoCli.runInProcess(firstHome, null, "pull", upstream.host() + "/demo/app:v1", "-r",
                    work.resolve("through-cache").toString(), "--mirror", cache.host());
            assertThat(first.exitCode()).as(first.toString()).isZero();
            assertThat(TreeSnapshot.of(work.resolve("through-cache")).diff(expected)).isEmpty();
            assertThat(cache.countRequests("GET", MANIFESTS)).isPositive();
            assertThat(upstream.countRequests("GET", MANIFESTS)).isPositive(); // the cache filled itself

            // The cache stores what it proxied in the background: wait until it holds every blob before the
            // origin goes away (under load it may still be writing them).
            com.fasterxml.jackson.databind.JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(Skopeo.run("inspect", "--raw", "--tls-verify=false",
                            "docker://" + upstream.host() + "/demo/app:v1"));
            java.util.List<String> blobs = new java.util.ArrayList<>();
            blobs.add(manifest.path("config").path("digest").asText());
            manifest.path("layers").forEach(l -> blobs.add(l.path("digest").asText()));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!blobs.stream().allMatch(cache::storesBlob) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(blobs).allMatch(cache::storesBlob);
            String upstreamHost = upstream.host();
            upstream.close();
            // the mirror holds the blobs now (krgo's own cache is bypassed again: another fresh home)
            Path otherHome = Files.createDirectories(work.resolve("home-cache-2"));
            KrgoCli.Result r = KrgoCli.runInProcess(otherHome, null, "pull", upstreamHost + "/demo/app:v1", "-r",
                    work.resolve("from-cache-only").toString(), "--mirror", cache.host());
            assertThat(r.exitCode()).as(r.toString()).isZero();
            got = TreeSnapshot.of(work.resolve("from-cache-only"));
        }
        assertThat(got.diff(expected)).isEmpty();
    }

    @Test
    void mirrorFileIsRead() throws Exception {
        Path file = home.resolve(".config/krgo/mirrors.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"mirrors\": {\"" + origin.host() + "\": [\"http://" + mirror.host() + "/\"]}}");
        try {
            long originBefore = origin.countRequests("GET", MANIFESTS);
            long mirrorBefore = mirror.countRequests("GET", MANIFESTS);
            pull(origin.host() + "/demo/app:v1", "via-file");
            assertThat(mirror.countRequests("GET", MANIFESTS)).isGreaterThan(mirrorBefore);
            assertThat(origin.countRequests("GET", MANIFESTS)).isEqualTo(originBefore);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aMirrorThatIsDownFallsBackToTheOrigin() throws Exception {
        long originBefore = origin.countRequests("GET", MANIFESTS);
        KrgoCli.Result r = pull(origin.host() + "/demo/app:v1", "mirror-down", "--mirror", "127.0.0.1:1");
        assertThat(r.stderr()).contains("krgo: warning: mirror 127.0.0.1:1 skipped");
        assertThat(TreeSnapshot.of(work.resolve("mirror-down")).diff(expected)).isEmpty();
        assertThat(origin.countRequests("GET", MANIFESTS)).isGreaterThan(originBefore);

        Path layout = work.resolve("layout-mirror-down");
        KrgoCli.Result export = KrgoCli.runInProcess(home, null, "export", origin.host() + "/demo/app:v1", "--oci",
                layout.toString(), "--mirror", "127.0.0.1:1");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        assertThat(layout.resolve("index.json")).exists();
    }

    @Test
    void aMirrorWithoutTheImageFallsBackToTheOrigin() throws Exception {
        KrgoCli.Result r = pull(origin.host() + "/demo/only:v1", "mirror-lacks", "--mirror", "127.0.0.1:1", "--mirror",
                mirror.host());
        assertThat(r.stderr()).contains("mirror 127.0.0.1:1 skipped").contains("mirror " + mirror.host() + " skipped")
                .contains("not found");
        assertThat(TreeSnapshot.of(work.resolve("mirror-lacks")).diff(expected)).isEmpty();
    }
}
