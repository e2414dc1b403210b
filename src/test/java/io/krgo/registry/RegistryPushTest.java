package io.krgo.registry;

import io.krgo.error.IntegrityException;
import io.krgo.error.NotFoundException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Uploads, mounts, manifest pushes and tag listing against a real registry (Basic auth). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryPushTest {
    private static final int CHUNK = 64 * 1024;

    private RegistryHarness registry;
    private RegistryClient client;

    @BeforeAll
    void start() {
        registry = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        client = new RegistryClient(registry.host(), RegistryOptions.defaults().withChunkSize(CHUNK),
                Credentials.basic(registry.username(), registry.password()));
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static Descriptor describe(byte[] blob) {
        return new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(blob), blob.length);
    }

    private byte[] pull(String repo, Descriptor d) throws IOException {
        try (InputStream in = client.openBlob(repo, d)) {
            return in.readAllBytes();
        }
    }

    @Test
    void smallBlobGoesInOnePutAndComesBack() throws IOException {
        byte[] blob = random(1000, 1);
        Descriptor d = describe(blob);
        long patchesBefore = registry.countRequests("PATCH", "/v2/push/small/blobs/uploads/.*");
        client.uploadBlob("push/small", d, () -> new ByteArrayInputStream(blob));
        assertThat(client.blobExists("push/small", d.parsedDigest())).isTrue();
        assertThat(pull("push/small", d)).isEqualTo(blob);
        assertThat(registry.countRequests("PATCH", "/v2/push/small/blobs/uploads/.*")).isEqualTo(patchesBefore);
    }

    @Test
    void largeBlobGoesInChunksAndComesBack() throws IOException {
        byte[] blob = random(3 * CHUNK + 123, 2);
        Descriptor d = describe(blob);
        AtomicInteger opened = new AtomicInteger();
        client.uploadBlob("push/large", d, () -> {
            opened.incrementAndGet();
            return new ByteArrayInputStream(blob);
        });
        assertThat(opened).hasValue(1);
        assertThat(pull("push/large", d)).isEqualTo(blob);
        assertThat(registry.countRequests("PATCH", "/v2/push/large/blobs/uploads/.*")).isEqualTo(4);
    }

    @Test
    void anExistingBlobIsNotUploadedAgain() {
        byte[] blob = random(500, 3);
        Descriptor d = describe(blob);
        client.uploadBlob("push/again", d, () -> new ByteArrayInputStream(blob));
        AtomicInteger opened = new AtomicInteger();
        client.uploadBlob("push/again", d, () -> {
            opened.incrementAndGet();
            return new ByteArrayInputStream(blob);
        });
        assertThat(opened).hasValue(0);
    }

    @Test
    void contentNotMatchingItsDigestIsRejected() {
        byte[] blob = random(700, 4);
        Descriptor claimed = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256("other".getBytes()), blob.length);
        assertThatThrownBy(() -> client.uploadBlob("push/bad", claimed, () -> new ByteArrayInputStream(blob)))
                .isInstanceOf(IntegrityException.class);
    }

    @Test
    void crossRepositoryMount() throws IOException {
        byte[] blob = random(2000, 5);
        Descriptor d = describe(blob);
        client.uploadBlob("push/source", d, () -> new ByteArrayInputStream(blob));
        assertThat(client.blobExists("push/target", d.parsedDigest())).isFalse();
        assertThat(client.mountBlob("push/target", d.parsedDigest(), "push/source")).isTrue();
        assertThat(pull("push/target", d)).isEqualTo(blob);
        Digest unknown = Digest.sha256("never uploaded".getBytes());
        assertThat(client.mountBlob("push/target2", unknown, "push/source")).isFalse();
    }

    @Test
    void manifestPutThenGetIsByteEqualAndSkopeoReadsIt() {
        byte[] layer = random(300, 6);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256(layer) + "\"]}}").getBytes(StandardCharsets.UTF_8);
        Descriptor layerD = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(layer), layer.length);
        Descriptor configD = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(config), config.length);
        client.uploadBlob("push/manifest", layerD, () -> new ByteArrayInputStream(layer));
        client.uploadBlob("push/manifest", configD, () -> new ByteArrayInputStream(config));
        byte[] manifest = new Manifest(MediaTypes.OCI_MANIFEST, configD, List.of(layerD)).toJson();
        Descriptor pushed = client.putManifest("push/manifest", "v1", manifest, MediaTypes.OCI_MANIFEST);
        RawManifest got = client.getManifest("push/manifest", "v1");
        assertThat(got.bytes()).isEqualTo(manifest);
        assertThat(got.descriptor()).isEqualTo(pushed);
        assertThat(Skopeo.inspectRaw(registry, "push/manifest:v1").strip())
                .isEqualTo(new String(manifest, StandardCharsets.UTF_8));
        assertThat(client.getManifest("push/manifest", pushed.digest()).bytes()).isEqualTo(manifest);
    }

    @Test
    void listsTags() {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        Descriptor configD = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(config), config.length);
        client.uploadBlob("push/tags", configD, () -> new ByteArrayInputStream(config));
        byte[] manifest = new Manifest(MediaTypes.OCI_MANIFEST, configD, List.of()).toJson();
        List<String> tags = List.of("a", "b", "c", "d", "e");
        for (String t : tags) {
            client.putManifest("push/tags", t, manifest, MediaTypes.OCI_MANIFEST);
        }
        // distribution 2.8 ignores ?n= and answers in storage order; pagination is tested via a proxy
        // in RegistryTransportTest.
        assertThat(client.listTags("push/tags")).containsExactlyInAnyOrderElementsOf(tags);
        assertThatThrownBy(() -> client.listTags("push/none")).isInstanceOf(NotFoundException.class);
    }
}
