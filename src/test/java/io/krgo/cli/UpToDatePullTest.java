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
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The re-pull of an unchanged image into the DIR it fills: decided by one manifest HEAD (after the ping and,
 * with token auth, a token), no manifest or blob GET, nothing written; by no request at all for a reference
 * by digest. Against real registries (token auth; an index; a mirror).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpToDatePullTest {
    private static final String MANIFESTS = "/v2/team/[a-z]+/manifests/.*";
    private static final String BLOBS = "/v2/team/[a-z]+/blobs/.*";
    private RegistryHarness registry;
    private Path work;
    private Path home;
    private String creds;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.TOKEN);
        creds = registry.username() + ":" + registry.password();
        work = Files.createTempDirectory("krgo-uptodate-test");
        home = Files.createDirectories(work.resolve("home"));
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        Path l2 = Fixtures.secondLayer(work.resolve("l2.tar"));
        OciFixtures.pushImage(registry, work, "team/app:v1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        OciFixtures.pushImage(registry, work, "team/app:v2", new PlatformImage("linux", "amd64", List.of(l2)));
        OciFixtures.pushIndex(registry, work, "team/multi:latest", List.of(
                new PlatformImage("linux", "amd64", List.of(l1)),
                new PlatformImage("linux", "arm64", List.of(l2))));
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String... args) {
        return KrgoCli.runInProcess(home, null, args);
    }

    private KrgoCli.Result pull(String image, Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("pull", image, "-r", dir.toString(), "-u", creds));
        args.addAll(List.of(extra));
        return krgo(args.toArray(String[]::new));
    }

    /** Requests the registry has logged so far, by kind. */
    private Map<String, Long> requests() {
        Map<String, Long> counts = new TreeMap<>();
        counts.put("GET manifest", registry.countRequests("GET", MANIFESTS));
        counts.put("HEAD manifest", registry.countRequests("HEAD", MANIFESTS));
        counts.put("GET blob", registry.countRequests("GET", BLOBS));
        counts.put("HEAD blob", registry.countRequests("HEAD", BLOBS));
        counts.put("any", all(registry, "/.*"));
        return counts;
    }

    /** Requests of any method to paths matching {@code pathRegex}. */
    private static long all(RegistryHarness r, String pathRegex) {
        long n = 0;
        for (String method : List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")) {
            n += r.countRequests(method, pathRegex);
        }
        return n;
    }

    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0L)));
        return d;
    }

    /** Every path under DIR and its metadata directory with its modification time: what "writes nothing" means. */
    private static Map<String, FileTime> mtimes(Path dir) throws Exception {
        Map<String, FileTime> m = new TreeMap<>();
        for (Path root : List.of(dir, dir.resolveSibling("." + dir.getFileName() + ".krgo"))) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.toList()) {
                    m.put(p.toString(), Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
                }
            }
        }
        return m;
    }

    /** The registry writes its access log asynchronously: wait until it shows {@code n} requests in all. */
    private void awaitLoggedRequests(long n) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (all(registry, "/.*") < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void rePullWithTokenAuthSendsOneManifestHeadAndWritesNothing() throws Exception {
        Path dir = work.resolve("app");
        KrgoCli.Result first = pull(registry.host() + "/team/app:v1", dir);
        assertThat(first.exitCode()).as(first.toString()).isZero();
        TreeSnapshot tree = TreeSnapshot.of(dir);
        Map<String, FileTime> times = mtimes(dir);
        Thread.sleep(200); // let the access log settle
        Map<String, Long> before = requests();
        int tokensBefore = registry.tokenIssuer().requests();

        KrgoCli.Result again = pull(registry.host() + "/team/app:v1", dir);

        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).startsWith("Already up to date: " + dir).contains("use --force to pull again");
        awaitLoggedRequests(before.get("any") + 2);
        Thread.sleep(200);
        Map<String, Long> d = delta(before, requests());
        // the ping (GET /v2/, answered 401 with the challenge) and the HEAD with a token
        assertThat(d).containsEntry("HEAD manifest", 1L).containsEntry("GET manifest", 0L)
                .containsEntry("GET blob", 0L).containsEntry("HEAD blob", 0L).containsEntry("any", 2L);
        assertThat(registry.tokenIssuer().requests() - tokensBefore).as("one token, for the HEAD").isEqualTo(1);
        assertThat(TreeSnapshot.of(dir).diff(tree)).isEmpty();
        assertThat(mtimes(dir)).isEqualTo(times);
    }

    @Test
    void forceRedoesTheUpToDatePullAndAChangedTagIsNoLongerUpToDate() throws Exception {
        Path dir = work.resolve("forced");
        assertThat(pull(registry.host() + "/team/app:v1", dir).exitCode()).isZero();
        Thread.sleep(200);
        long manifestGets = registry.countRequests("GET", MANIFESTS);

        KrgoCli.Result forced = pull(registry.host() + "/team/app:v1", dir, "--force");
        assertThat(forced.exitCode()).as(forced.toString()).isZero();
        assertThat(forced.stdout()).contains("Done. Rootfs of");
        Thread.sleep(200);
        assertThat(registry.countRequests("GET", MANIFESTS)).isGreaterThan(manifestGets);

        // v2 is another image: the HEAD's digest differs, and DIR is not replaced without --force
        KrgoCli.Result other = pull(registry.host() + "/team/app:v2", dir);
        assertThat(other.exitCode()).as(other.toString()).isEqualTo(6);
        assertThat(other.stderr()).contains("is not empty");
        assertThat(pull(registry.host() + "/team/app:v2", dir, "--force").exitCode()).isZero();
        assertThat(pull(registry.host() + "/team/app:v2", dir).stdout()).startsWith("Already up to date");
    }

    @Test
    void aReferenceByDigestIsUpToDateWithoutAnyRequest() throws Exception {
        String digest = krgo("digest", registry.host() + "/team/app:v1", "-u", creds).stdout().strip();
        assertThat(digest).startsWith("sha256:");
        Path dir = work.resolve("pinned");
        assertThat(pull(registry.host() + "/team/app@" + digest, dir).exitCode()).isZero();
        Thread.sleep(200);
        long before = all(registry, "/.*");
        int tokensBefore = registry.tokenIssuer().requests();

        KrgoCli.Result again = pull(registry.host() + "/team/app@" + digest, dir);

        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).startsWith("Already up to date").contains(digest);
        Thread.sleep(300);
        assertThat(all(registry, "/.*")).isEqualTo(before);
        assertThat(registry.tokenIssuer().requests()).isEqualTo(tokensBefore);
    }

    @Test
    void anIndexIsUpToDateForThePlatformItWasPulledFor() throws Exception {
        Path dir = work.resolve("multi");
        KrgoCli.Result first = pull(registry.host() + "/team/multi:latest", dir, "--platform", "linux/arm64");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        Thread.sleep(200);
        Map<String, Long> before = requests();

        KrgoCli.Result again = pull(registry.host() + "/team/multi:latest", dir, "--platform", "linux/arm64");

        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).startsWith("Already up to date");
        Thread.sleep(300);
        Map<String, Long> d = delta(before, requests());
        assertThat(d).containsEntry("GET manifest", 0L).containsEntry("GET blob", 0L);
        assertThat(d.get("HEAD manifest")).isPositive();

        // another platform of the same index is another image
        KrgoCli.Result amd64 = pull(registry.host() + "/team/multi:latest", dir, "--platform", "linux/amd64");
        assertThat(amd64.exitCode()).as(amd64.toString()).isEqualTo(6);
    }

    @Test
    void aRegistryRefusingHeadStillFindsItUpToDateByGet() throws Exception {
        Path dir = work.resolve("no-head");
        assertThat(pull(registry.host() + "/team/app:v1", dir).exitCode()).isZero();
        try (io.krgo.testing.LoopbackProxy proxy = io.krgo.testing.LoopbackProxy.start(registry.host(), (ex, p) -> {
            if (ex.getRequestMethod().equals("HEAD") && ex.getRequestURI().getPath().contains("/manifests/")) {
                ex.sendResponseHeaders(405, -1);
                ex.close();
                return true;
            }
            return false;
        })) {
            KrgoCli.Result again = pull(proxy.host() + "/team/app:v1", dir);
            assertThat(again.exitCode()).as(again.toString()).isZero();
            assertThat(again.stdout()).startsWith("Already up to date");
            assertThat(proxy.requests("HEAD", "/manifests/")).hasSize(1);
            assertThat(proxy.requests("GET", "/manifests/")).isNotEmpty();
            assertThat(proxy.requests("GET", "/blobs/")).isEmpty();
        }
    }

    @Test
    void aDamagedRecordIsNotUpToDate() throws Exception {
        Path dir = work.resolve("damaged");
        assertThat(pull(registry.host() + "/team/app:v1", dir).exitCode()).isZero();
        Path record = dir.resolveSibling(".damaged.krgo").resolve("image.json");
        Files.writeString(record, "{\"manifestDigest\": 7");
        KrgoCli.Result again = pull(registry.host() + "/team/app:v1", dir);
        assertThat(again.exitCode()).as(again.toString()).isEqualTo(6);
        assertThat(again.stderr()).contains("is not empty");
    }

    @Test
    void throughAMirrorTheHeadGoesToTheMirror() throws Exception {
        try (RegistryHarness mirror = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "--src-creds", creds, "docker://" + registry.host() + "/team/app:v1",
                    "docker://" + mirror.host() + "/team/app:v1");
            Path dir = work.resolve("mirrored");
            KrgoCli.Result first = pull(registry.host() + "/team/app:v1", dir, "--mirror", mirror.host());
            assertThat(first.exitCode()).as(first.toString()).isZero();
            Thread.sleep(200);
            long originBefore = all(registry, "/v2/team/.*");
            long mirrorHeads = mirror.countRequests("HEAD", MANIFESTS);
            long mirrorGets = mirror.countRequests("GET", MANIFESTS);

            KrgoCli.Result again = pull(registry.host() + "/team/app:v1", dir, "--mirror", mirror.host());

            assertThat(again.exitCode()).as(again.toString()).isZero();
            assertThat(again.stdout()).startsWith("Already up to date");
            assertThat(again.stderr()).doesNotContain("warning");
            Thread.sleep(300);
            assertThat(mirror.countRequests("HEAD", MANIFESTS)).isEqualTo(mirrorHeads + 1);
            assertThat(mirror.countRequests("GET", MANIFESTS)).isEqualTo(mirrorGets);
            assertThat(all(registry, "/v2/team/.*")).isEqualTo(originBefore);
        }
    }
}
