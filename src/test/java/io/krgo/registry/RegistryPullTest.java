package io.krgo.registry;

import io.krgo.error.IntegrityException;
import io.krgo.error.NotFoundException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pulling from a real anonymous registry whose content skopeo and umoci wrote. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryPullTest {
    private RegistryHarness registry;
    private Path work;
    private RegistryClient client;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        work = Files.createTempDirectory("krgo-pull-test");
        Path l1 = OciFixtures.tar(work.resolve("l1.tar"), Map.of("etc/hello.txt", "hello from layer one\n"));
        Path l2 = OciFixtures.tar(work.resolve("l2.tar"), Map.of("etc/second.txt", "second layer\n"));
        OciFixtures.pushImage(registry, work, "demo/app:v1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        OciFixtures.pushIndex(registry, work, "demo/multi:latest", List.of(
                new PlatformImage("linux", "amd64", List.of(l1)),
                new PlatformImage("linux", "arm64", List.of(l2))));
        // a layer of its own: skopeo would reuse an already pushed gzip blob of the same content instead
        Path lz = OciFixtures.tar(work.resolve("lz.tar"), Map.of("z.txt", "zstd " + System.nanoTime() + "\n"));
        OciFixtures.pushImage(registry, work, "demo/zstd:v1", new PlatformImage("linux", "amd64", List.of(lz)),
                "--dest-compress-format", "zstd");
        client = new RegistryClient(registry.host(), RegistryOptions.defaults(), null);
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    @Test
    void resolvesATagToTheManifestSkopeoPushed() {
        RawManifest raw = client.getManifest("demo/app", "v1");
        String skopeoRaw = Skopeo.inspectRaw(registry, "demo/app:v1");
        assertThat(new String(raw.bytes(), StandardCharsets.UTF_8).strip()).isEqualTo(skopeoRaw.strip());
        assertThat(raw.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(raw.digest()).isEqualTo(Digest.sha256(raw.bytes()));
        assertThat(raw.manifest().layers()).hasSize(2);
    }

    @Test
    void byDigestVerifiesAndHeadAgrees() {
        RawManifest byTag = client.getManifest("demo/app", "v1");
        RawManifest byDigest = client.getManifest("demo/app", byTag.digest().toString());
        assertThat(byDigest).isEqualTo(byTag);
        assertThat(client.headManifest("demo/app", "v1")).contains(byTag.descriptor());
        assertThat(client.headManifest("demo/app", "nope")).isEmpty();
    }

    @Test
    void resolvesAnImageAndStreamsVerifiedLayers() throws Exception {
        Reference ref = Reference.parse(registry.host() + "/demo/app:v1");
        RegistryImage image = RegistryImage.resolve(client, ref, Platform.parse("linux/amd64"));
        assertThat(image.indexDescriptor()).isEmpty();
        assertThat(image.config().architecture()).isEqualTo("amd64");
        assertThat(image.layers()).hasSize(2);
        assertThat(image.reference().digest()).isEqualTo(image.descriptor().digest());
        Layer first = image.layers().get(0);
        byte[] tar;
        try (InputStream in = new GzipCompressorInputStream(first.open())) {
            tar = in.readAllBytes();
        }
        assertThat(Digest.sha256(tar)).isEqualTo(first.diffId().orElseThrow());
        assertThat(new String(tar, StandardCharsets.UTF_8)).contains("hello from layer one");
    }

    @Test
    void zstdLayersPushedBySkopeoArePulledVerified() throws Exception {
        RegistryImage image = RegistryImage.resolve(client, Reference.parse(registry.host() + "/demo/zstd:v1"),
                Platform.parse("linux/amd64"));
        Layer layer = image.layers().get(0);
        assertThat(layer.descriptor().mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
        byte[] tar;
        try (InputStream in = new com.github.luben.zstd.ZstdInputStream(layer.open())) {
            tar = in.readAllBytes();
        }
        assertThat(Digest.sha256(tar)).isEqualTo(layer.diffId().orElseThrow());
    }

    @Test
    void selectsThePlatformFromAnIndex() {
        Reference ref = Reference.parse(registry.host() + "/demo/multi:latest");
        RegistryImage arm = RegistryImage.resolve(client, ref, Platform.parse("linux/arm64"));
        assertThat(arm.config().architecture()).isEqualTo("arm64");
        assertThat(arm.indexDescriptor()).isPresent();
        assertThat(arm.indexDescriptor().get().mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        RegistryImage amd = RegistryImage.resolve(client, ref, Platform.parse("linux/amd64"));
        assertThat(amd.descriptor().digest()).isNotEqualTo(arm.descriptor().digest());
    }

    @Test
    void noMatchingPlatformListsTheAvailableOnes() {
        Reference ref = Reference.parse(registry.host() + "/demo/multi:latest");
        assertThatThrownBy(() -> RegistryImage.resolve(client, ref, Platform.parse("linux/s390x")))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("linux/s390x")
                .hasMessageContaining("linux/amd64")
                .hasMessageContaining("linux/arm64");
    }

    @Test
    void missingTagAndRepositoryAreNotFound() {
        assertThatThrownBy(() -> client.getManifest("demo/app", "nope"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("demo/app:nope");
        assertThatThrownBy(() -> client.getManifest("demo/none", "v1"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("image not found");
        String missing = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> client.openBlob("demo/app",
                new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.parse(missing), 3)))
                .isInstanceOf(NotFoundException.class).hasMessageContaining(missing);
    }

    @Test
    void aBlobWithAWrongSizeInTheManifestFailsIntegrity() throws Exception {
        // Craft a manifest whose layer claims one byte less than the blob has, push it ourselves.
        Manifest real = client.getManifest("demo/app", "v1").manifest();
        Descriptor layer = real.layers().get(0);
        Descriptor lying = new Descriptor(layer.mediaType(), layer.parsedDigest(), layer.size() - 1);
        assertThatThrownBy(() -> {
            try (InputStream in = client.openBlob("demo/app", lying)) {
                in.readAllBytes();
            }
        }).isInstanceOf(IntegrityException.class).hasMessageContaining("declared");
        Descriptor tooBig = new Descriptor(layer.mediaType(), layer.parsedDigest(), layer.size() + 1);
        assertThatThrownBy(() -> {
            try (InputStream in = client.openBlob("demo/app", tooBig)) {
                in.readAllBytes();
            }
        }).isInstanceOf(IntegrityException.class).hasMessageContaining("size mismatch");
    }
}
