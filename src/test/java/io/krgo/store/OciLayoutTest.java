package io.krgo.store;

import io.krgo.error.IntegrityException;
import io.krgo.error.NotFoundException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Index;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OciLayoutTest {
    @TempDir
    Path tmp;

    @Test
    void readsAnUmociLayoutByTagAndVerifiesLayers() throws Exception {
        Path tar = new TarBuilder().file("hello", "world").writeTo(tmp.resolve("l.tar"));
        Path layout = OciFixtures.create(tmp.resolve("layout"), "one", List.of(tar));
        OciFixtures.create(layout, "two", List.of(tar, tar));
        OciLayout oci = new OciLayout(layout);
        assertThat(oci.image("one", Platform.host()).layers()).hasSize(1);
        Image two = oci.image("two", Platform.host());
        assertThat(two.layers()).hasSize(2);
        assertThat(two.descriptor().parsedDigest()).isEqualTo(Digest.sha256(two.rawManifest()));
        try (InputStream in = two.layers().get(0).open()) {
            assertThat(in.readAllBytes()).hasSize((int) two.layers().get(0).descriptor().size());
        }
        assertThatThrownBy(() -> oci.image(null, Platform.host())).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("one").hasMessageContaining("two");
        assertThatThrownBy(() -> oci.image("three", Platform.host())).isInstanceOf(NotFoundException.class);

        // A layer blob that rotted on disk fails its digest check when read.
        Path blob = oci.blobPath(two.layers().get(0).descriptor().parsedDigest());
        byte[] b = Files.readAllBytes(blob);
        b[b.length / 2] ^= 1;
        Files.write(blob, b);
        assertThatThrownBy(() -> {
            try (InputStream in = oci.image("one", Platform.host()).layers().get(0).open()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }).isInstanceOf(IntegrityException.class);
    }

    @Test
    void writtenLayoutIsReadableByUmociAndSkopeoAndByItself() throws Exception {
        InMemoryImage img = InMemoryImage.of(Blob.gzip(new TarBuilder().dir("etc").file("etc/os", "krgo").gzipBytes()));
        Path layout = tmp.resolve("out");
        OciLayout oci = new OciLayout(layout);
        oci.write(img, "v1");
        oci.write(img, "v1"); // idempotent: same tag replaced, not duplicated
        assertThat(Index.parse(Files.readAllBytes(layout.resolve("index.json")), null).manifests()).hasSize(1);

        Image back = oci.image("v1", Platform.host());
        assertThat(back.rawManifest()).isEqualTo(img.rawManifest());
        assertThat(back.rawConfig()).isEqualTo(img.rawConfig());

        Path rootfs = OciFixtures.unpack(layout, "v1", tmp.resolve("bundle"));
        assertThat(Files.readString(rootfs.resolve("etc/os"))).isEqualTo("krgo");
        String inspect = Tools.run("skopeo", "inspect", "oci:" + layout + ":v1");
        assertThat(inspect).contains(img.manifest().layers().get(0).digest());
    }

    @Test
    void nestedIndexResolvesToThePlatform() throws Exception {
        InMemoryImage amd = InMemoryImage.of(Blob.tar(new TarBuilder().file("arch", "amd64").bytes()));
        InMemoryImage arm = InMemoryImage.of(Blob.tar(new TarBuilder().file("arch", "arm64").bytes()));
        Path layout = tmp.resolve("multi");
        OciLayout oci = new OciLayout(layout);
        oci.write(amd, "amd");
        oci.write(arm, "arm");
        // Replace index.json by one entry pointing at a nested index of both.
        Index nested = new Index(2, MediaTypes.OCI_INDEX, List.of(
                new Descriptor(MediaTypes.OCI_MANIFEST, amd.descriptor().digest(), amd.descriptor().size(), null, null,
                        new Platform("linux", "amd64", null), null),
                new Descriptor(MediaTypes.OCI_MANIFEST, arm.descriptor().digest(), arm.descriptor().size(), null, null,
                        new Platform("linux", "arm64", "v8"), null)), null);
        byte[] nestedBytes = nested.toJson();
        Digest nd = Digest.sha256(nestedBytes);
        Files.write(oci.blobPath(nd), nestedBytes);
        Index top = new Index(2, MediaTypes.OCI_INDEX, List.of(new Descriptor(MediaTypes.OCI_INDEX, nd.toString(),
                nestedBytes.length, null, Map.of(OciLayout.REF_NAME, "latest"), null, null)), null);
        Files.write(layout.resolve("index.json"), top.toJson());

        assertThat(oci.image("latest", Platform.parse("linux/arm64")).descriptor().digest()).isEqualTo(arm.descriptor().digest());
        assertThat(oci.image(null, Platform.parse("linux/amd64")).descriptor().digest()).isEqualTo(amd.descriptor().digest());
        assertThatThrownBy(() -> oci.image("latest", Platform.parse("linux/s390x"))).isInstanceOf(NotFoundException.class);
    }
}
