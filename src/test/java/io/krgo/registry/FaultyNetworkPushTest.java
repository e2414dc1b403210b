package io.krgo.registry;

import com.sun.net.httpserver.HttpExchange;
import io.krgo.error.RegistryException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.image.VerifyingInputStream;
import io.krgo.reference.Reference;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.RegistryHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pushes through a fault proxy in front of a real registry (Basic auth): transient answers to every kind
 * of request are retried (per request, or by restarting the blob's upload), and a push killed mid-blob
 * leaves the tag as it was; re-run, it completes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultyNetworkPushTest {
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofSeconds(20));
    private static final long CHUNK = 128 * 1024;

    private RegistryHarness registry;
    private Credentials creds;

    @BeforeAll
    void start() {
        registry = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        creds = Credentials.basic(registry.username(), registry.password());
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    /** An image of random layers (a registry does not look inside), built in memory. */
    private record TestImage(Descriptor descriptor, byte[] rawManifest, Manifest manifest, byte[] rawConfig,
                             ImageConfig config, List<Layer> layers) implements Image {
        static TestImage of(long seed, int... sizes) {
            Random random = new Random(seed);
            List<Layer> layers = new ArrayList<>();
            ImageConfig config = ImageConfig.empty(new Platform("linux", "amd64", null));
            for (int size : sizes) {
                byte[] bytes = new byte[size];
                random.nextBytes(bytes);
                Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(bytes), size);
                config = config.withLayer(d.parsedDigest(), "2024-01-01T00:00:00Z", "test", null);
                layers.add(new Layer() {
                    @Override
                    public Descriptor descriptor() {
                        return d;
                    }

                    @Override
                    public Optional<Digest> diffId() {
                        return Optional.of(d.parsedDigest());
                    }

                    @Override
                    public InputStream open() {
                        return new VerifyingInputStream(new ByteArrayInputStream(bytes), d.parsedDigest(), size, "layer");
                    }
                });
            }
            byte[] rawConfig = config.toJson();
            Descriptor configD = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(rawConfig), rawConfig.length);
            Manifest manifest = new Manifest(MediaTypes.OCI_MANIFEST, configD, layers.stream().map(Layer::descriptor).toList());
            byte[] raw = manifest.toJson();
            return new TestImage(new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(raw), raw.length), raw, manifest,
                    rawConfig, config, List.copyOf(layers));
        }
    }

    private RegistryClient client(String host) {
        return new RegistryClient(host, RegistryOptions.defaults().withCredentials(creds).withRetry(FAST)
                .withChunkSize(CHUNK).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), creds);
    }

    private ImagePusher.Result push(String host, Image image, String ref) {
        try (RegistryClient c = client(host)) {
            return new ImagePusher(c, 3).push(image, Reference.parse(host + "/" + ref), ImagePusher.Listener.NONE);
        }
    }

    private Optional<Descriptor> tag(String repo, String tag) {
        try (RegistryClient c = client(registry.host())) {
            return c.headManifest(repo, tag);
        }
    }

    private boolean hasBlob(String repo, Descriptor d) {
        try (RegistryClient c = client(registry.host())) {
            return c.blobExists(repo, d.parsedDigest());
        }
    }

    private static String kind(HttpExchange ex) {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        if (path.contains("/blobs/uploads/")) {
            return method + " upload";
        }
        if (path.contains("/blobs/")) {
            return method + " blob";
        }
        if (path.contains("/manifests/")) {
            return method + " manifest";
        }
        return null;
    }

    @Test
    void transientAnswersToEveryKindOfRequestAreRetried() {
        TestImage image = TestImage.of(1, 300_000, 100_000, 50_000);
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
            String kind = kind(ex);
            if (kind == null || !failedOnce.add(kind)) {
                return false;
            }
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(kind.startsWith("PATCH") ? 502 : 503, -1);
            return true;
        })) {
            ImagePusher.Result result = push(front.host(), image, "retry/app:v1");
            assertThat(result.manifest().digest()).isEqualTo(image.descriptor().digest());
            assertThat(failedOnce).contains("HEAD blob", "POST upload", "PATCH upload", "PUT upload", "PUT manifest");
        }
        assertThat(tag("retry/app", "v1")).map(Descriptor::digest).contains(image.descriptor().digest());
        assertThat(image.layers()).allSatisfy(l -> assertThat(hasBlob("retry/app", l.descriptor())).isTrue());
    }

    /** Kills every upload request carrying more than 90 kB after reading 40 kB of it. */
    private LoopbackProxy killingBigUploads(AtomicInteger kills) {
        return LoopbackProxy.start(registry.host(), (ex, self) -> {
            String length = ex.getRequestHeaders().getFirst("Content-Length");
            if (!"upload".equals(String.valueOf(kind(ex)).replaceAll("^\\S+ ", "")) || length == null
                    || Long.parseLong(length) <= 90_000) {
                return false;
            }
            ex.getRequestBody().readNBytes(40_000);
            kills.incrementAndGet();
            throw new IOException("killed mid-blob on purpose");
        });
    }

    @Test
    void aPushKilledMidBlobLeavesTheTagAsItWasAndCompletesWhenRunAgain() {
        TestImage old = TestImage.of(2, 20_000);
        push(registry.host(), old, "killed/app:v1");
        TestImage image = TestImage.of(3, 300_000, 100_000, 50_000);
        AtomicInteger kills = new AtomicInteger();
        try (LoopbackProxy front = killingBigUploads(kills)) {
            assertThatThrownBy(() -> push(front.host(), image, "killed/app:v1"))
                    .isInstanceOf(RegistryException.class);
            assertThatThrownBy(() -> push(front.host(), image, "killed/fresh:v1"))
                    .isInstanceOf(RegistryException.class);
        }
        // the first blob to fail used all its attempts in each push (the other is abandoned when it does)
        assertThat(kills.get()).as("uploads restarted per blob").isGreaterThanOrEqualTo(2 * FAST.attempts());
        assertThat(tag("killed/app", "v1")).as("still the old manifest").map(Descriptor::digest)
                .contains(old.descriptor().digest());
        assertThat(tag("killed/fresh", "v1")).as("no tag pointing at missing blobs").isEmpty();
        assertThat(hasBlob("killed/app", image.layers().get(0).descriptor())).isFalse();

        push(registry.host(), image, "killed/app:v1");
        push(registry.host(), image, "killed/fresh:v1");
        for (String repo : List.of("killed/app", "killed/fresh")) {
            assertThat(tag(repo, "v1")).map(Descriptor::digest).contains(image.descriptor().digest());
            assertThat(image.layers()).allSatisfy(l -> assertThat(hasBlob(repo, l.descriptor())).isTrue());
            assertThat(hasBlob(repo, image.manifest().config())).isTrue();
        }
    }
}
