package io.krgo.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Registry state made by the real peers: umoci builds an OCI layout from plain layer tars, skopeo pushes
 * it. So what krgo reads in tests was written by other implementations, not by krgo itself. umoci also
 * unpacks layouts as the reference extractor for cross-checks.
 */
public final class OciFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciFixtures() {
    }

    /** One platform's image: os, architecture and uncompressed layer tars (oldest first). */
    public record PlatformImage(String os, String architecture, List<Path> layers) {
    }

    /**
     * Creates {@code layout} (if needed) with image {@code tag} made by umoci of {@code layerTars} (uncompressed,
     * oldest first; umoci gzips them); returns {@code layout}.
     */
    public static Path create(Path layout, String tag, List<Path> layerTars) {
        if (!Files.exists(layout.resolve("index.json"))) {
            Umoci.run("init", "--layout", layout.toString());
        }
        String ref = layout + ":" + tag;
        Umoci.run("new", "--image", ref);
        for (Path layer : layerTars) {
            Umoci.run("raw", "add-layer", "--image", ref, layer.toString());
        }
        return layout;
    }

    /**
     * Unpacks {@code tag} with umoci into {@code bundle}; returns the rootfs ({@code bundle/rootfs}).
     * {@code umociOptions} go before the names, e.g. {@code "--rootless"}.
     */
    public static Path unpack(Path layout, String tag, Path bundle, String... umociOptions) {
        List<String> args = new ArrayList<>(List.of("unpack"));
        args.addAll(List.of(umociOptions));
        args.addAll(List.of("--image", layout + ":" + tag, bundle.toString()));
        Umoci.run(args.toArray(String[]::new));
        return bundle.resolve("rootfs");
    }

    /** Builds (or adds to) the OCI layout {@code layoutDir}, tagging the image {@code tag}. */
    public static void buildImage(Path layoutDir, String tag, PlatformImage image) {
        create(layoutDir, tag, image.layers());
        Umoci.run("config", "--image", layoutDir + ":" + tag, "--os", image.os(), "--architecture", image.architecture());
    }

    /**
     * Builds an image with umoci and pushes it with skopeo to {@code repoAndTag} on {@code registry}. Extra
     * skopeo options go before the names, e.g. {@code "--dest-compress-format", "zstd"} (skopeo 1.9 supports
     * it; use layer content not pushed before, or skopeo reuses the existing gzip blob).
     */
    public static void pushImage(RegistryHarness registry, Path workDir, String repoAndTag, PlatformImage image,
                                 String... skopeoOptions) {
        Path layout = workDir.resolve("layout-" + repoAndTag.replaceAll("[^a-zA-Z0-9]", "_"));
        buildImage(layout, "img", image);
        Skopeo.copyTo(registry, "oci:" + layout + ":img", repoAndTag, skopeoOptions);
    }

    /**
     * Builds one image per platform and an OCI index over them (written into the layout by hand, as umoci
     * has no command for it), then pushes all of it with {@code skopeo copy --all}.
     */
    public static void pushIndex(RegistryHarness registry, Path workDir, String repoAndTag, List<PlatformImage> images) {
        Path layout = workDir.resolve("index-" + repoAndTag.replaceAll("[^a-zA-Z0-9]", "_"));
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            String tag = "p" + i;
            buildImage(layout, tag, images.get(i));
            tags.add(tag);
        }
        try {
            ObjectNode indexJson = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
            ObjectNode imageIndex = JSON.createObjectNode();
            imageIndex.put("schemaVersion", 2);
            imageIndex.put("mediaType", "application/vnd.oci.image.index.v1+json");
            ArrayNode manifests = imageIndex.putArray("manifests");
            for (int i = 0; i < images.size(); i++) {
                JsonNode desc = find(indexJson, tags.get(i));
                ObjectNode entry = manifests.addObject();
                entry.put("mediaType", desc.path("mediaType").asText());
                entry.put("digest", desc.path("digest").asText());
                entry.put("size", desc.path("size").asLong());
                ObjectNode platform = entry.putObject("platform");
                platform.put("architecture", images.get(i).architecture());
                platform.put("os", images.get(i).os());
            }
            byte[] bytes = JSON.writeValueAsBytes(imageIndex);
            String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Files.write(layout.resolve("blobs/sha256/" + hex), bytes);
            ObjectNode top = ((ArrayNode) indexJson.get("manifests")).addObject();
            top.put("mediaType", "application/vnd.oci.image.index.v1+json");
            top.put("digest", "sha256:" + hex);
            top.put("size", bytes.length);
            top.putObject("annotations").put("org.opencontainers.image.ref.name", "multi");
            JSON.writeValue(layout.resolve("index.json").toFile(), indexJson);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Skopeo.copyTo(registry, "oci:" + layout + ":multi", repoAndTag, "--all");
    }

    private static JsonNode find(JsonNode indexJson, String tag) {
        for (JsonNode d : indexJson.path("manifests")) {
            if (tag.equals(d.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                return d;
            }
        }
        throw new AssertionError("tag " + tag + " not in the OCI layout's index.json");
    }

    /** Writes a tiny uncompressed tar of regular files (path → content, mode 0644); minimal on purpose. */
    public static Path tar(Path file, Map<String, String> files) {
        TarBuilder tar = new TarBuilder();
        files.forEach((name, content) -> tar.file(name, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0,
                1_700_000_000L));
        return tar.writeTo(file);
    }
}
