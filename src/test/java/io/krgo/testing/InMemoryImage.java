package io.krgo.testing;

import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.image.VerifyingInputStream;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** An image whose layer blobs are byte arrays, for sink tests that need no registry. */
public record InMemoryImage(Descriptor descriptor, byte[] rawManifest, Manifest manifest, byte[] rawConfig,
                            ImageConfig config, List<Layer> layers) implements Image {

    /** A blob and the media type it is declared with. */
    public record Blob(String mediaType, byte[] bytes) {
        public static Blob tar(byte[] b) {
            return new Blob(MediaTypes.OCI_LAYER, b);
        }

        public static Blob gzip(byte[] b) {
            return new Blob(MediaTypes.OCI_LAYER_GZIP, b);
        }
    }

    public static InMemoryImage of(Blob... blobs) {
        return of(null, blobs);
    }

    /** @param lyingDigestFor index of a layer whose declared digest does not match its bytes, or null */
    public static InMemoryImage of(Integer lyingDigestFor, Blob... blobs) {
        List<Layer> layers = new ArrayList<>();
        List<Descriptor> descs = new ArrayList<>();
        for (int i = 0; i < blobs.length; i++) {
            Blob b = blobs[i];
            Digest d = Digest.sha256(lyingDigestFor != null && lyingDigestFor == i ? new byte[] {1, 2, 3} : b.bytes());
            Descriptor desc = new Descriptor(b.mediaType(), d, b.bytes().length);
            descs.add(desc);
            layers.add(new Layer() {
                @Override
                public Descriptor descriptor() {
                    return desc;
                }

                @Override
                public Optional<Digest> diffId() {
                    return Optional.empty();
                }

                @Override
                public InputStream open() {
                    return new VerifyingInputStream(new ByteArrayInputStream(b.bytes()), d, b.bytes().length, "layer " + d);
                }
            });
        }
        com.fasterxml.jackson.databind.node.ObjectNode cfg = io.krgo.image.Json.MAPPER.createObjectNode()
                .put("os", "linux").put("architecture", "amd64").put("created", "2020-01-01T00:00:00Z")
                .put("seq", System.nanoTime()); // distinct images even with equal layers
        com.fasterxml.jackson.databind.node.ObjectNode rootfs = cfg.putObject("rootfs").put("type", "layers");
        com.fasterxml.jackson.databind.node.ArrayNode diffIds = rootfs.putArray("diff_ids");
        for (Blob b : blobs) {
            diffIds.add(diffId(b).toString());
        }
        byte[] rawConfig = io.krgo.image.Json.write(cfg);
        ImageConfig config = ImageConfig.parse(rawConfig);
        Manifest m = new Manifest(MediaTypes.OCI_MANIFEST,
                new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(rawConfig), rawConfig.length), descs);
        byte[] rawManifest = m.toJson();
        return new InMemoryImage(new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(rawManifest), rawManifest.length),
                rawManifest, m, rawConfig, config, List.copyOf(layers));
    }

    private static Digest diffId(Blob b) {
        try (InputStream in = b.mediaType().endsWith("gzip")
                ? new java.util.zip.GZIPInputStream(new ByteArrayInputStream(b.bytes()))
                : new ByteArrayInputStream(b.bytes())) {
            return Digest.sha256(in.readAllBytes());
        } catch (java.io.IOException e) {
            return Digest.sha256(b.bytes()); // a deliberately broken blob: any diff id will do
        }
    }

    public static Platform platform() {
        return new Platform("linux", "amd64", null);
    }
}
