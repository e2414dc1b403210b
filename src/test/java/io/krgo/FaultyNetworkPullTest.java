package io.krgo;

import com.sun.net.httpserver.HttpExchange;
import io.krgo.error.IntegrityException;
import io.krgo.error.RegistryException;
import io.krgo.image.Descriptor;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.Credentials;
import io.krgo.registry.RawManifest;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryOptions;
import io.krgo.registry.RetryPolicy;
import io.krgo.rootfs.ProgressListener;
import io.krgo.store.BlobStore;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.LoopbackProxy.Recorded;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Whole pulls ({@link Krgo#pull}, registry → blob store → rootfs) through a fault proxy in front of a real
 * registry with Basic auth: cut connections in every blob, a server ignoring Range, truncated and wrong
 * bodies, redirects to a second listener, redirect loops, a stalled body.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultyNetworkPullTest {
    private static final Pattern BLOB = Pattern.compile("/v2/(.+)/blobs/(sha256:[a-f0-9]{64})");
    private static final RetryPolicy FAST = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofSeconds(20));
    /** "One buffer": what a client may have had in flight when its connection broke. */
    private static final long ONE_BUFFER = 64 * 1024;

    private RegistryHarness registry;
    private Path work;
    private Credentials creds;
    private final Map<String, String> files = new LinkedHashMap<>();
    /** Every blob of the image (config and layers) by digest. */
    private final Map<String, byte[]> blobs = new HashMap<>();
    private List<Descriptor> layers;

    @BeforeAll
    void start() throws IOException {
        registry = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        creds = Credentials.basic(registry.username(), registry.password());
        work = Files.createTempDirectory("krgo-faults");
        Random random = new Random(61);
        List<Path> tars = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            byte[] noise = new byte[120_000 + 40_000 * i];
            random.nextBytes(noise);
            String name = "data/layer" + i + ".txt";
            files.put(name, Base64.getEncoder().encodeToString(noise)); // barely compressible: a big gzip blob
            tars.add(OciFixtures.tar(work.resolve("l" + i + ".tar"), Map.of(name, files.get(name))));
        }
        OciFixtures.pushImage(registry, work, "faults/app:v1", new PlatformImage("linux", "amd64", tars));
        try (RegistryClient direct = new RegistryClient(registry.host(), RegistryOptions.defaults(), creds)) {
            RawManifest m = direct.getManifest("faults/app", "v1");
            layers = m.manifest().layers();
            List<Descriptor> all = new ArrayList<>(layers);
            all.add(m.manifest().config());
            for (Descriptor d : all) {
                try (InputStream in = direct.openBlob("faults/app", d)) {
                    blobs.put(d.digest(), in.readAllBytes());
                }
            }
        }
        assertThat(layers).hasSize(3).allSatisfy(d -> assertThat(d.size()).isGreaterThan(100_000));
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    private PullResultAndStore pull(LoopbackProxy front, Path dir, RetryPolicy retry, Duration readTimeout) {
        BlobStore store = new BlobStore(dir.resolveSibling(dir.getFileName() + "-store"));
        Krgo krgo = new Krgo(store, new CredentialResolver(Map.of(), work.resolve("no-home")));
        RegistryOptions options = RegistryOptions.defaults().withCredentials(creds).withRetry(retry)
                .withTimeouts(Duration.ofSeconds(5), readTimeout);
        krgo.pull(new PullRequest(Reference.parse(front.host() + "/faults/app:v1"), dir, Platform.parse("linux/amd64"),
                false, false, options), ProgressListener.NONE);
        return new PullResultAndStore(store);
    }

    private record PullResultAndStore(BlobStore store) {
    }

    private void assertRootfsComplete(Path dir) throws IOException {
        for (Map.Entry<String, String> f : files.entrySet()) {
            assertThat(dir.resolve(f.getKey())).hasContent(f.getValue());
        }
    }

    private static String digestOf(HttpExchange ex) {
        Matcher m = BLOB.matcher(ex.getRequestURI().getPath());
        return ex.getRequestMethod().equals("GET") && m.matches() ? m.group(2) : null;
    }

    @Test
    void cutsAtRandomOffsetsInEveryBlobAreResumedFromTheLastByte(@TempDir Path tmp) throws IOException {
        Random random = new Random(62);
        Map<String, AtomicInteger> cutsLeft = new ConcurrentHashMap<>();
        Map<String, List<long[]>> servedBeforeRangeStart = new ConcurrentHashMap<>();
        Map<String, java.util.concurrent.atomic.AtomicLong> served = new ConcurrentHashMap<>();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            String digest = digestOf(ex);
            if (digest == null) {
                return false;
            }
            long start = LoopbackProxy.rangeStart(ex);
            java.util.concurrent.atomic.AtomicLong sent = served.computeIfAbsent(digest, k -> new java.util.concurrent.atomic.AtomicLong());
            servedBeforeRangeStart.computeIfAbsent(digest, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add(new long[] {sent.get(), start});
            LoopbackProxy.Upstream up = self.fetch(ex); // Range forwarded: the registry answers 206
            byte[] body = up.body();
            if (cutsLeft.computeIfAbsent(digest, k -> new AtomicInteger(2)).getAndDecrement() > 0 && body.length > 1) {
                int cut;
                synchronized (random) {
                    cut = 1 + random.nextInt(body.length - 1);
                }
                sent.addAndGet(cut);
                self.respondCut(ex, up, body, cut);
            }
            sent.addAndGet(body.length);
            self.respond(ex, up, body);
            return true;
        })) {
            Path dir = tmp.resolve("rootfs");
            pull(front, dir, FAST, Duration.ofSeconds(10));
            assertRootfsComplete(dir);

            assertThat(cutsLeft.keySet()).as("every blob was cut").containsExactlyInAnyOrderElementsOf(blobs.keySet());
            for (Map.Entry<String, byte[]> blob : blobs.entrySet()) {
                String path = "/v2/faults/app/blobs/" + blob.getKey();
                List<Recorded> gets = front.requests("GET", path);
                assertThat(gets).as("first request + one resumption per cut").hasSize(3);
                assertThat(gets.get(0).hasHeader("Range")).isFalse();
                List<long[]> resumes = servedBeforeRangeStart.get(blob.getKey()).subList(1, 3);
                for (long[] r : resumes) {
                    assertThat(r[1]).as("resumed with Range from the last byte received").isPositive()
                            .isLessThanOrEqualTo(r[0]).isGreaterThan(r[0] - ONE_BUFFER);
                }
                assertThat(front.bodyBytesSent(path)).as("no verified byte fetched twice beyond one buffer")
                        .isBetween((long) blob.getValue().length, blob.getValue().length + 2 * ONE_BUFFER);
            }
        }
    }

    @Test
    void aServerIgnoringRangeIsRestartedAndSkipped(@TempDir Path tmp) throws IOException {
        Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            String digest = digestOf(ex);
            if (digest == null) {
                return false;
            }
            com.sun.net.httpserver.Headers headers = new com.sun.net.httpserver.Headers();
            headers.putAll(ex.getRequestHeaders());
            headers.remove("Range");
            LoopbackProxy.Upstream up = self.fetch("GET", ex.getRequestURI().toString(), headers, null);
            if (requests.computeIfAbsent(digest, k -> new AtomicInteger()).getAndIncrement() == 0) {
                self.respondCut(ex, up, up.body(), up.body().length / 2);
            }
            self.respond(ex, up, up.body());
            return true;
        })) {
            Path dir = tmp.resolve("rootfs");
            pull(front, dir, FAST, Duration.ofSeconds(10));
            assertRootfsComplete(dir);
            for (String digest : blobs.keySet()) {
                List<Recorded> gets = front.requests("GET", "/blobs/" + digest);
                assertThat(gets).hasSize(2);
                assertThat(gets.get(1).hasHeader("Range")).as("asked for the rest").isTrue();
            }
        }
    }

    @Test
    void aTruncatedBodyIsResumed(@TempDir Path tmp) throws IOException {
        Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            String digest = digestOf(ex);
            if (digest == null || requests.computeIfAbsent(digest, k -> new AtomicInteger()).getAndIncrement() > 0) {
                return false;
            }
            // A consistent but short answer: Content-Length says 1/3 of the blob, and that is all there is.
            LoopbackProxy.Upstream up = self.fetch(ex);
            self.respond(ex, up, java.util.Arrays.copyOf(up.body(), up.body().length / 3));
            return true;
        })) {
            Path dir = tmp.resolve("rootfs");
            pull(front, dir, FAST, Duration.ofSeconds(10));
            assertRootfsComplete(dir);
            for (String digest : blobs.keySet()) {
                List<Recorded> gets = front.requests("GET", "/blobs/" + digest);
                assertThat(gets).hasSize(2);
                assertThat(gets.get(1).headers().get("Range")).containsExactly("bytes=" + blobs.get(digest).length / 3 + "-");
            }
        }
    }

    /** A proxy that flips one byte in the middle of {@code digest}'s blob every time. */
    private LoopbackProxy corrupting(String digest) {
        return LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!digest.equals(digestOf(ex))) {
                return false;
            }
            LoopbackProxy.Upstream up = self.fetch(ex);
            byte[] body = up.body().clone();
            body[body.length / 2] ^= 0x20;
            self.respond(ex, up, body);
            return true;
        });
    }

    @Test
    void wrongBytesAreAnIntegrityErrorAndNothingOfThatLayerIsKept(@TempDir Path tmp) throws IOException {
        String bad = layers.get(1).digest();
        try (LoopbackProxy front = corrupting(bad)) {
            Path dir = tmp.resolve("rootfs");
            BlobStore store = new BlobStore(tmp.resolve("rootfs-store"));
            assertThatThrownBy(() -> pull(front, dir, FAST, Duration.ofSeconds(10)))
                    .isInstanceOf(IntegrityException.class)
                    .hasMessageContaining("digest mismatch").hasMessageContaining(bad.substring(7, 19));
            assertThat(store.has(io.krgo.image.Digest.parse(bad))).isFalse();
            assertNoPartialFiles(store.root());
            assertThat(dir).doesNotExist();
            try (Stream<Path> siblings = Files.list(tmp)) {
                assertThat(siblings.map(p -> p.getFileName().toString()))
                        .as("no staging directory left beside DIR").containsExactly("rootfs-store");
            }
        }
    }

    private static void assertNoPartialFiles(Path storeRoot) throws IOException {
        if (!Files.exists(storeRoot)) {
            return;
        }
        try (Stream<Path> all = Files.walk(storeRoot)) {
            // blobs/ALGO/HEX and diffids/ALGO/HEX (what verified layer blobs decompress to) are the store's own;
            // so are the writer's lease and the roots (records for prune, not blob data).
            assertThat(all.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(".part")
                    || !java.util.Set.of("blobs", "diffids").contains(p.getParent().getParent().getFileName().toString())
                    && !java.util.Set.of("leases", "roots").contains(p.getParent().getFileName().toString())))
                    .as("only verified blobs and their records, no temp files").isEmpty();
        }
    }

    @Test
    void wrongBytesExitWithCodeFiveThroughTheCli(@TempDir Path home) throws IOException {
        String bad = layers.get(0).digest();
        try (LoopbackProxy front = corrupting(bad)) {
            Path dir = home.resolve("rootfs");
            KrgoCli.Result r = KrgoCli.run(home, registry.password() + "\n", "pull", front.host() + "/faults/app:v1",
                    "-r", dir.toString(), "-u", registry.username(), "--password-stdin");
            assertThat(r.exitCode()).as(r.output()).isEqualTo(5);
            assertThat(r.stderr()).contains("digest mismatch").hasLineCount(1);
            assertThat(dir).doesNotExist();
            assertThat(home.resolve("cache/blobs/sha256/" + bad.substring(7))).doesNotExist();
            assertNoPartialFiles(home.resolve("cache"));
        }
    }

    @Test
    void blobRedirectsToAnotherHostResumeThereAndNeverCarryAuthorization(@TempDir Path tmp) throws IOException {
        Map<String, AtomicInteger> storageRequests = new ConcurrentHashMap<>();
        try (LoopbackProxy storage = LoopbackProxy.start(null, (ex, self) -> {
                 String digest = ex.getRequestURI().getPath().substring("/store/".length());
                 byte[] blob = blobs.get(digest);
                 long start = LoopbackProxy.rangeStart(ex);
                 byte[] rest = java.util.Arrays.copyOfRange(blob, (int) start, blob.length);
                 Map<String, List<String>> headers = start > 0
                         ? Map.of("Content-Range", List.of("bytes " + start + "-" + (blob.length - 1) + "/" + blob.length))
                         : Map.of();
                 LoopbackProxy.Upstream up = new LoopbackProxy.Upstream(start > 0 ? 206 : 200, headers, rest);
                 if (storageRequests.computeIfAbsent(digest, k -> new AtomicInteger()).getAndIncrement() == 0) {
                     self.respondCut(ex, up, rest, rest.length / 2);
                 }
                 self.respond(ex, up, rest);
                 return true;
             });
             LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 String digest = digestOf(ex);
                 if (digest == null) {
                     return false;
                 }
                 ex.getResponseHeaders().set("Location", "http://" + storage.host() + "/store/" + digest);
                 ex.sendResponseHeaders(307, -1);
                 return true;
             })) {
            Path dir = tmp.resolve("rootfs");
            pull(front, dir, FAST, Duration.ofSeconds(10));
            assertRootfsComplete(dir);
            assertThat(front.requests("GET", "/blobs/")).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.hasHeader("Authorization")).as("the registry gets credentials").isTrue());
            assertThat(storage.requests()).hasSize(2 * blobs.size())
                    .noneSatisfy(r -> assertThat(r.hasHeader("Authorization")).isTrue());
            assertThat(storage.requests().stream().filter(r -> r.hasHeader("Range")).count()).isEqualTo(blobs.size());
        }
    }

    @Test
    void aRedirectLoopBetweenTwoHostsEndsWithAClearError(@TempDir Path tmp) {
        AtomicInteger frontPort = new AtomicInteger();
        try (LoopbackProxy storage = LoopbackProxy.start(null, (ex, self) -> {
                 ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + frontPort.get()
                         + ex.getRequestURI().getPath().replace("/store", ""));
                 ex.sendResponseHeaders(302, -1);
                 return true;
             });
             LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (digestOf(ex) == null) {
                     return false;
                 }
                 ex.getResponseHeaders().set("Location", "http://" + storage.host() + "/store" + ex.getRequestURI().getPath());
                 ex.sendResponseHeaders(302, -1);
                 return true;
             })) {
            frontPort.set(Integer.parseInt(front.host().substring(front.host().indexOf(':') + 1)));
            Path dir = tmp.resolve("rootfs");
            long started = System.nanoTime();
            assertThatThrownBy(() -> pull(front, dir, FAST, Duration.ofSeconds(10)))
                    .isInstanceOf(RegistryException.class).hasMessageContaining("redirect loop");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(dir).doesNotExist();
            assertThat(storage.requests()).noneSatisfy(r -> assertThat(r.hasHeader("Authorization")).isTrue());
        }
    }

    @Test
    void aBodyThatDripsThenStallsEndsWithAReadTimeout(@TempDir Path tmp) {
        String slow = layers.get(2).digest();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!slow.equals(digestOf(ex))) {
                return false;
            }
            LoopbackProxy.Upstream up = self.fetch(ex);
            // 100 bytes every 100 ms (each gap well within the read timeout), then nothing at all
            self.respondDrippingThenStalling(ex, up, up.body(), 100, Duration.ofMillis(100), 500);
            return true;
        })) {
            Path dir = tmp.resolve("rootfs");
            long started = System.nanoTime();
            assertThatThrownBy(() -> pull(front, dir, new RetryPolicy(2, Duration.ofMillis(10), Duration.ofSeconds(5)),
                    Duration.ofMillis(700)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessage("registry " + front.host() + " timed out: read timed out: no data for 0.7 s");
            assertThat(front.requests("GET", slow)).as("one resumption, which stalled too").hasSize(2);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
            assertThat(dir).doesNotExist();
        }
    }
}
