package io.krgo.registry;

import com.sun.net.httpserver.HttpExchange;
import io.krgo.error.RegistryException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.LoopbackProxy.Recorded;
import io.krgo.testing.RegistryHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Redirects, retries, resumption, timeouts, pagination and unreachable hosts. A loopback proxy in front
 * of a real registry (Basic auth) injects what the registry will not do on demand.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryTransportTest {
    private static final Pattern BLOB_GET = Pattern.compile("/v2/(.+)/blobs/(sha256:[a-f0-9]{64})");
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(10), Duration.ofSeconds(20));

    private RegistryHarness registry;
    private Credentials creds;
    private byte[] blob;
    private Descriptor blobD;

    @BeforeAll
    void start() {
        registry = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        creds = Credentials.basic(registry.username(), registry.password());
        blob = new byte[300_000];
        new Random(7).nextBytes(blob);
        blobD = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(blob), blob.length);
        try (RegistryClient c = new RegistryClient(registry.host(), RegistryOptions.defaults(), creds)) {
            c.uploadBlob("t/app", blobD, () -> new ByteArrayInputStream(blob));
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                    .getBytes(StandardCharsets.UTF_8);
            Descriptor configD = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(config), config.length);
            c.uploadBlob("t/app", configD, () -> new ByteArrayInputStream(config));
            byte[] manifest = new Manifest(MediaTypes.OCI_MANIFEST, configD, List.of()).toJson();
            for (String tag : List.of("v3", "v1", "v5", "v2", "v4")) {
                c.putManifest("t/app", tag, manifest, MediaTypes.OCI_MANIFEST);
            }
        }
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private RegistryClient through(LoopbackProxy proxy, RegistryOptions options) {
        return new RegistryClient(proxy.host(), options.withCredentials(creds), creds);
    }

    private byte[] readBlob(RegistryClient c) throws IOException {
        try (InputStream in = c.openBlob("t/app", blobD)) {
            return in.readAllBytes();
        }
    }

    private static boolean isBlobGet(HttpExchange ex) {
        return ex.getRequestMethod().equals("GET") && BLOB_GET.matcher(ex.getRequestURI().getPath()).matches();
    }

    @Test
    void redirectToAnotherHostNeverCarriesAuthorization() throws IOException {
        try (LoopbackProxy storage = LoopbackProxy.start(null, (ex, self) -> {
                 ex.sendResponseHeaders(200, blob.length);
                 try (OutputStream out = ex.getResponseBody()) {
                     out.write(blob);
                 }
                 return true;
             });
             LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!isBlobGet(ex)) {
                     return false;
                 }
                 ex.getResponseHeaders().set("Location", "http://" + storage.host() + "/store/blob?sig=abc");
                 ex.sendResponseHeaders(307, -1);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThat(readBlob(c)).isEqualTo(blob);
            Recorded blobGet = front.requests().stream().filter(r -> r.uri().contains("/blobs/")).findFirst().orElseThrow();
            assertThat(blobGet.hasHeader("Authorization")).as("the registry itself gets credentials").isTrue();
            assertThat(storage.requests()).hasSize(1);
            assertThat(storage.requests().get(0).hasHeader("Authorization")).isFalse();
        }
    }

    @Test
    void aTamperedBlobFailsItsDigestCheck() {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!isBlobGet(ex)) {
                     return false;
                 }
                 LoopbackProxy.Upstream up = self.fetch(ex);
                 byte[] body = up.body().clone();
                 body[body.length / 2] ^= 1;
                 self.respond(ex, up, body);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> readBlob(c)).isInstanceOf(io.krgo.error.IntegrityException.class)
                    .hasMessageContaining("digest mismatch");
        }
    }

    @Test
    void closingTheClientDoesNotWaitForAnUnreadBody() throws IOException {
        RegistryClient c = new RegistryClient(registry.host(), RegistryOptions.defaults(), creds);
        InputStream unread = c.openBlob("t/app", blobD);
        assertThat(unread.read(new byte[10])).isPositive();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), c::close);
        unread.close();
    }

    @Test
    void redirectLoopIsARegistryError() {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!isBlobGet(ex)) {
                     return false;
                 }
                 ex.getResponseHeaders().set("Location", ex.getRequestURI().getPath());
                 ex.sendResponseHeaders(302, -1);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> readBlob(c)).isInstanceOf(RegistryException.class).hasMessageContaining("redirect");
        }
    }

    @Test
    void aBodyBrokenMidwayIsResumedWithRange() throws IOException {
        AtomicInteger broken = new AtomicInteger();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!isBlobGet(ex) || ex.getRequestHeaders().containsKey("Range") || broken.getAndIncrement() > 0) {
                     return false;
                 }
                 LoopbackProxy.Upstream up = self.fetch(ex);
                 ex.sendResponseHeaders(200, up.body().length);
                 OutputStream out = ex.getResponseBody();
                 out.write(up.body(), 0, up.body().length / 3);
                 out.flush();
                 throw new IOException("connection cut on purpose");
             });
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST))) {
            assertThat(readBlob(c)).isEqualTo(blob);
            List<Recorded> gets = front.requests().stream().filter(r -> r.uri().contains("/blobs/")).toList();
            assertThat(gets).hasSize(2);
            assertThat(gets.get(1).headers().get("Range")).singleElement().asString().startsWith("bytes=").endsWith("-")
                    .isNotEqualTo("bytes=0-");
        }
    }

    @Test
    void aStalledBodyTimesOutAndIsResumedEvenWhenTheServerIgnoresRange() throws IOException {
        AtomicInteger stalled = new AtomicInteger();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!isBlobGet(ex)) {
                     return false;
                 }
                 // The server ignores Range: always the full body, from byte 0.
                 com.sun.net.httpserver.Headers headers = new com.sun.net.httpserver.Headers();
                 headers.putAll(ex.getRequestHeaders());
                 headers.remove("Range");
                 LoopbackProxy.Upstream up = self.fetch("GET", ex.getRequestURI().toString(), headers, null);
                 ex.sendResponseHeaders(200, up.body().length);
                 OutputStream out = ex.getResponseBody();
                 if (stalled.getAndIncrement() == 0) {
                     out.write(up.body(), 0, 1000);
                     out.flush();
                     try {
                         Thread.sleep(5000);
                     } catch (InterruptedException e) {
                         Thread.currentThread().interrupt();
                     }
                     throw new IOException("stalled on purpose");
                 }
                 out.write(up.body());
                 out.close();
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST)
                     .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)))) {
            long start = System.nanoTime();
            assertThat(readBlob(c)).isEqualTo(blob);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(stalled).hasValue(2);
        }
    }

    @Test
    void serviceUnavailableIsRetriedHonouringRetryAfter() {
        AtomicInteger failures = new AtomicInteger();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!ex.getRequestURI().getPath().contains("/manifests/") || failures.getAndIncrement() >= 2) {
                     return false;
                 }
                 ex.getResponseHeaders().set("Retry-After", "0");
                 ex.sendResponseHeaders(503, -1);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST))) {
            assertThat(c.getManifest("t/app", "v1").manifest().config()).isNotNull();
            assertThat(failures).hasValue(3);
        }
    }

    @Test
    void persistentServerErrorsEndInARegistryExceptionWithTheRegistryMessage() {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                     return false;
                 }
                 byte[] body = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"disk on fire\"}]}".getBytes(StandardCharsets.UTF_8);
                 ex.sendResponseHeaders(500, body.length);
                 ex.getResponseBody().write(body);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST))) {
            assertThatThrownBy(() -> c.getManifest("t/app", "v1"))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("500").hasMessageContaining("disk on fire");
            assertThat(front.requests().stream().filter(r -> r.uri().contains("/manifests/")).count()).isEqualTo(4);
        }
    }

    /** A proxy answering the first {@code statuses.length} manifest requests with those statuses (and headers). */
    private LoopbackProxy failingManifests(List<Long> arrivals, Map<String, String> headers, int... statuses) {
        AtomicInteger n = new AtomicInteger();
        return LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                return false;
            }
            arrivals.add(System.nanoTime());
            int i = n.getAndIncrement();
            if (i >= statuses.length) {
                return false;
            }
            headers.forEach(ex.getResponseHeaders()::set);
            ex.sendResponseHeaders(statuses[i], -1);
            return true;
        });
    }

    @Test
    void tooManyRequestsWaitsAsRetryAfterSays() {
        List<Long> arrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (LoopbackProxy front = failingManifests(arrivals, Map.of("Retry-After", "1"), 429);
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST))) {
            assertThat(c.getManifest("t/app", "v1").manifest().config()).isNotNull();
            assertThat(arrivals).hasSize(2);
            // FAST backs off 10 ms; only Retry-After explains a pause of a second
            assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0))).isBetween(Duration.ofMillis(950),
                    Duration.ofSeconds(3));
        }
    }

    @Test
    void burstsOf500To504AreRetriedWithGrowingBackoff() {
        List<Long> arrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(40), Duration.ofSeconds(20));
        try (LoopbackProxy front = failingManifests(arrivals, Map.of(), 500, 502, 503, 504, 408);
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(policy))) {
            assertThat(c.getManifest("t/app", "v1").manifest().config()).isNotNull();
            assertThat(arrivals).hasSize(6);
            // backoff 40 ms * 2^(n-1), jitter +-50 %: the 5th wait (640 ms nominal) is at least 320 ms
            assertThat(Duration.ofNanos(arrivals.get(5) - arrivals.get(4))).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0))).isLessThan(Duration.ofMillis(300));
        }
    }

    @Test
    void retriesStopAtTheTotalTimeOfThePolicy() {
        List<Long> arrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
        int[] always503 = new int[1000];
        java.util.Arrays.fill(always503, 503);
        RetryPolicy policy = new RetryPolicy(1000, Duration.ofMillis(100), Duration.ofMillis(1500));
        try (LoopbackProxy front = failingManifests(arrivals, Map.of(), always503);
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(policy))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.getManifest("t/app", "v1")).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("503");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
            assertThat(arrivals.size()).isBetween(2, 12);
        }
    }

    @Test
    void aRetryAfterBeyondTheBudgetReportsTheAnswerAtOnce() {
        List<Long> arrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (LoopbackProxy front = failingManifests(arrivals, Map.of("Retry-After", "3600"), 429, 429);
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.getManifest("t/app", "v1")).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("429");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            assertThat(arrivals).hasSize(1);
        }
    }

    @Test
    void clientErrorsOtherThan408And429AreNotRetried() {
        for (int status : new int[] {400, 404, 405, 409, 410, 418, 422}) {
            List<Long> arrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (LoopbackProxy front = failingManifests(arrivals, Map.of(), status, status, status);
                 RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST))) {
                assertThatThrownBy(() -> c.getManifest("t/app", "v1")).as("HTTP " + status)
                        .isInstanceOf(io.krgo.error.KrgoException.class);
                assertThat(arrivals).as("HTTP " + status + " asked once").hasSize(1);
            }
        }
    }

    @Test
    void aServerThatNeverAnswersEndsWithATimeoutAfterBoundedAttempts() {
        AtomicInteger asked = new AtomicInteger();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                     return false;
                 }
                 asked.incrementAndGet();
                 try {
                     Thread.sleep(30_000); // accepts the request, never answers
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults()
                     .withRetry(new RetryPolicy(2, Duration.ofMillis(10), Duration.ofSeconds(10)))
                     .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(600)))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.getManifest("t/app", "v1")).isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith("registry " + front.host() + " timed out");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(asked).hasValue(2);
        }
    }

    @Test
    void aChunkedUploadFailingMidwayRestartsFromTheSource() throws IOException {
        byte[] big = new byte[200_000];
        new Random(8).nextBytes(big);
        Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(big), big.length);
        AtomicInteger patches = new AtomicInteger();
        AtomicInteger opened = new AtomicInteger();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!ex.getRequestMethod().equals("PATCH") || patches.incrementAndGet() != 2) {
                     return false;
                 }
                 ex.getRequestBody().readAllBytes();
                 ex.sendResponseHeaders(503, -1);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults().withRetry(FAST).withChunkSize(64 * 1024))) {
            c.uploadBlob("t/restart", d, () -> {
                opened.incrementAndGet();
                return new ByteArrayInputStream(big);
            });
            assertThat(opened).hasValue(2);
            try (InputStream in = c.openBlob("t/restart", d)) {
                assertThat(in.readAllBytes()).isEqualTo(big);
            }
        }
    }

    @Test
    void tagsFollowLinkPagination() {
        // distribution 2.8 ignores ?n=, so the proxy paginates the registry's real tag list as the spec says.
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), LoopbackProxy.paginatingTags("t/app"));
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThat(c.listTags("t/app", 2)).containsExactly("v1", "v2", "v3", "v4", "v5");
            assertThat(front.requests().stream().filter(r -> r.uri().contains("/tags/list")).count()).isEqualTo(3);
        }
    }

    /** A proxy answering manifest GETs with {@code body} and {@code contentType}, status 200. */
    private LoopbackProxy manifestServing(byte[] body, String contentType) {
        return LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                return false;
            }
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            return true;
        });
    }

    @Test
    void schema1ManifestsAreRefusedAsUnsupported() {
        byte[] schema1 = "{\"schemaVersion\":1,\"name\":\"t/app\",\"tag\":\"v1\",\"fsLayers\":[]}".getBytes(StandardCharsets.UTF_8);
        try (LoopbackProxy front = manifestServing(schema1, MediaTypes.DOCKER_SCHEMA1_SIGNED);
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> c.getManifest("t/app", "v1"))
                    .isInstanceOf(io.krgo.error.UnsafeImageException.class).hasMessageContaining("schema 1");
        }
        try (LoopbackProxy front = manifestServing(schema1, "application/json");
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> c.getManifest("t/app", "v1"))
                    .isInstanceOf(io.krgo.error.UnsafeImageException.class).hasMessageContaining("schema 1");
        }
    }

    @Test
    void manifestsOverFourMebibytesAreRefused() {
        byte[] huge = new byte[4 * 1024 * 1024 + 10];
        java.util.Arrays.fill(huge, (byte) ' ');
        try (LoopbackProxy front = manifestServing(huge, MediaTypes.OCI_MANIFEST);
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> c.getManifest("t/app", "v1"))
                    .isInstanceOf(io.krgo.error.UnsafeImageException.class).hasMessageContaining("4 MiB");
        }
    }

    @Test
    void aManifestNotMatchingTheDigestAskedForIsAnIntegrityError() {
        String digest;
        try (RegistryClient direct = new RegistryClient(registry.host(), RegistryOptions.defaults(), creds)) {
            digest = direct.getManifest("t/app", "v1").digest().toString();
        }
        byte[] other = "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:%s\",\"size\":1},\"layers\":[]}"
                .formatted("1".repeat(64)).getBytes(StandardCharsets.UTF_8);
        try (LoopbackProxy front = manifestServing(other, MediaTypes.OCI_MANIFEST);
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> c.getManifest("t/app", digest))
                    .isInstanceOf(io.krgo.error.IntegrityException.class).hasMessageContaining("digest mismatch");
        }
    }

    @Test
    void forbiddenIsAccessDeniedWithTheRegistryMessage() {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                     return false;
                 }
                 byte[] body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the resource is denied\"}]}"
                         .getBytes(StandardCharsets.UTF_8);
                 ex.sendResponseHeaders(403, body.length);
                 ex.getResponseBody().write(body);
                 return true;
             });
             RegistryClient c = through(front, RegistryOptions.defaults())) {
            assertThatThrownBy(() -> c.getManifest("t/app", "v1"))
                    .isInstanceOf(io.krgo.error.AuthException.class)
                    .hasMessage("access denied to t/app at " + front.host()
                            + " (DENIED: requested access to the resource is denied)");
        }
    }

    @Test
    void connectionRefusedIsAOneLineRegistryException() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (RegistryClient c = new RegistryClient("127.0.0.1:" + port, RegistryOptions.defaults(), null)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.getManifest("a/b", "latest"))
                    .isInstanceOf(RegistryException.class)
                    .hasMessage("registry 127.0.0.1:" + port + " unreachable: connection refused");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not retried").isLessThan(Duration.ofSeconds(2));
        }
    }
}
