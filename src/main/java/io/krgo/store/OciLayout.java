package io.krgo.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.FilesystemException;
import io.krgo.error.IntegrityException;
import io.krgo.error.NotFoundException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Index;
import io.krgo.image.Json;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.image.VerifyingInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/ALGO/HEX}) as an
 * image source and sink. Tags are the {@code org.opencontainers.image.ref.name} annotation of
 * index.json's entries.
 */
public final class OciLayout {
    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final byte[] LAYOUT_FILE = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final Path dir;

    public OciLayout(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path blobPath(Digest d) {
        return dir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
    }

    /**
     * The image tagged {@code tag} (or the only one when {@code tag} is null); an index entry resolves to
     * the manifest for {@code platform}.
     */
    public Image image(String tag, Platform platform) {
        Index top = Index.parse(readFile(dir.resolve("index.json"), "index.json"), MediaTypes.OCI_INDEX);
        Descriptor chosen;
        if (tag != null) {
            chosen = top.manifests().stream().filter(d -> tag.equals(d.annotations().get(REF_NAME))).findFirst()
                    .orElseThrow(() -> new NotFoundException("no image tagged '" + tag + "' in OCI layout " + dir
                            + "; tags: " + tags(top)));
        } else if (top.manifests().size() == 1) {
            chosen = top.manifests().get(0);
        } else {
            throw new NotFoundException("OCI layout " + dir + " holds " + top.manifests().size()
                    + " images; name one of the tags: " + tags(top));
        }
        for (int depth = 0; MediaTypes.isIndex(chosen.mediaType()); depth++) {
            if (depth > 4) {
                throw new UnsafeImageException("OCI layout " + dir + ": indexes nested too deeply");
            }
            Index nested = Index.parse(readBlob(chosen), chosen.mediaType());
            chosen = nested.select(platform);
        }
        byte[] rawManifest = readBlob(chosen);
        Manifest manifest = Manifest.parse(rawManifest, chosen.mediaType());
        byte[] rawConfig = readBlob(manifest.config());
        ImageConfig config = ImageConfig.parse(rawConfig);
        Descriptor descriptor = new Descriptor(manifest.mediaType(), Digest.sha256(rawManifest), rawManifest.length);
        List<Digest> diffIds = safeDiffIds(config);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor d = manifest.layers().get(i);
            Optional<Digest> diffId = i < diffIds.size() ? Optional.of(diffIds.get(i)) : Optional.empty();
            layers.add(new LayoutLayer(d, diffId));
        }
        return new LayoutImage(descriptor, rawManifest, manifest, rawConfig, config, List.copyOf(layers));
    }

    private static List<Digest> safeDiffIds(ImageConfig config) {
        try {
            return config.diffIds();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static String tags(Index index) {
        String t = index.manifests().stream().map(d -> d.annotations().get(REF_NAME))
                .filter(s -> s != null).collect(Collectors.joining(", "));
        return t.isEmpty() ? "none" : t;
    }

    /** Writes {@code image} into the layout under {@code tag} (replacing an entry with the same tag). */
    public void write(Image image, String tag) {
        try {
            Files.createDirectories(dir.resolve("blobs"));
            Path layoutFile = dir.resolve("oci-layout");
            if (!Files.exists(layoutFile)) {
                Files.write(layoutFile, LAYOUT_FILE);
            }
            for (Layer layer : image.layers()) {
                Digest d = layer.descriptor().parsedDigest();
                if (!Files.isRegularFile(blobPath(d))) {
                    try (InputStream in = layer.open()) {
                        putBlob(d, in); // Layer.open() verifies size and digest
                    }
                }
            }
            Descriptor cfg = image.manifest().config();
            putBytes(cfg.parsedDigest(), image.rawConfig(), "config");
            Descriptor m = image.descriptor();
            putBytes(m.parsedDigest(), image.rawManifest(), "manifest");

            List<Descriptor> entries = new ArrayList<>();
            Path indexFile = dir.resolve("index.json");
            if (Files.exists(indexFile)) {
                for (Descriptor d : Index.parse(Files.readAllBytes(indexFile), MediaTypes.OCI_INDEX).manifests()) {
                    if (tag == null || !tag.equals(d.annotations().get(REF_NAME))) {
                        entries.add(d);
                    }
                }
            }
            Map<String, String> ann = new HashMap<>();
            if (tag != null) {
                ann.put(REF_NAME, tag);
            }
            Platform p = image.config().platform();
            entries.add(new Descriptor(m.mediaType(), m.digest(), m.size(), null, ann,
                    p.os().isEmpty() ? null : new Platform(p.os(), p.architecture(), p.variant()), null));
            byte[] index = new Index(2, MediaTypes.OCI_INDEX, entries, null).toJson();
            Path tmp = Files.createTempFile(dir, "index", ".json.tmp");
            Files.write(tmp, index);
            Files.move(tmp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new FilesystemException("cannot write OCI layout " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes an image index with all its images into the layout under {@code tag}: every image's blobs,
     * then the index bytes exactly as given (so the index keeps its digest), then the index.json entry.
     * {@code images} must be the index's entries.
     */
    public void writeIndex(byte[] rawIndex, String mediaType, List<Image> images, String tag) {
        Index parsed = Index.parse(rawIndex, mediaType);
        java.util.Set<String> entries = new java.util.HashSet<>();
        parsed.manifests().forEach(d -> entries.add(d.digest()));
        java.util.Set<String> given = new java.util.HashSet<>();
        images.forEach(i -> given.add(i.descriptor().digest()));
        if (!entries.equals(given)) {
            throw new IllegalArgumentException("the images given are not the index's entries");
        }
        try {
            Files.createDirectories(dir.resolve("blobs"));
            Path layoutFile = dir.resolve("oci-layout");
            if (!Files.exists(layoutFile)) {
                Files.write(layoutFile, LAYOUT_FILE);
            }
            for (Image image : images) {
                for (Layer layer : image.layers()) {
                    Digest d = layer.descriptor().parsedDigest();
                    if (!Files.isRegularFile(blobPath(d))) {
                        try (InputStream in = layer.open()) {
                            putBlob(d, in); // Layer.open() verifies size and digest
                        }
                    }
                }
                putBytes(image.manifest().config().parsedDigest(), image.rawConfig(), "config");
                putBytes(image.descriptor().parsedDigest(), image.rawManifest(), "manifest");
            }
            Digest indexDigest = Digest.sha256(rawIndex);
            putBytes(indexDigest, rawIndex, "index");
            List<Descriptor> top = new ArrayList<>();
            Path indexFile = dir.resolve("index.json");
            if (Files.exists(indexFile)) {
                for (Descriptor d : Index.parse(Files.readAllBytes(indexFile), MediaTypes.OCI_INDEX).manifests()) {
                    if (tag == null || !tag.equals(d.annotations().get(REF_NAME))) {
                        top.add(d);
                    }
                }
            }
            top.add(new Descriptor(parsed.mediaType(), indexDigest.toString(), rawIndex.length, null,
                    tag == null ? Map.of() : Map.of(REF_NAME, tag), null, null));
            Path tmp = Files.createTempFile(dir, "index", ".json.tmp");
            Files.write(tmp, new Index(2, MediaTypes.OCI_INDEX, top, null).toJson());
            Files.move(tmp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new FilesystemException("cannot write OCI layout " + dir + ": " + e.getMessage(), e);
        }
    }

    private void putBytes(Digest d, byte[] bytes, String what) throws IOException {
        if (!Digest.sha256(bytes).equals(d) && d.algorithm().equals("sha256")) {
            throw new IntegrityException(what + " bytes do not match digest " + d);
        }
        if (!Files.isRegularFile(blobPath(d))) {
            putBlob(d, new java.io.ByteArrayInputStream(bytes));
        }
    }

    private void putBlob(Digest d, InputStream in) throws IOException {
        Path dest = blobPath(d);
        Files.createDirectories(dest.getParent());
        Path tmp = Files.createTempFile(dest.getParent(), d.hex().substring(0, 12), ".part");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            in.transferTo(out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A small document blob (index, manifest, config), verified. */
    private byte[] readBlob(Descriptor d) {
        Digest digest = d.parsedDigest();
        if (d.size() > Json.MAX_DOCUMENT_BYTES) {
            throw new UnsafeImageException("OCI layout " + dir + ": document " + digest + " is too large");
        }
        byte[] bytes = readFile(blobPath(digest), "blob " + digest);
        try (InputStream in = new VerifyingInputStream(new java.io.ByteArrayInputStream(bytes), digest, d.size(),
                "blob " + digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new FilesystemException(e.getMessage(), e);
        }
        return bytes;
    }

    private byte[] readFile(Path p, String what) {
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("OCI layout " + dir + " has no " + what);
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private final class LayoutLayer implements Layer {
        private final Descriptor descriptor;
        private final Optional<Digest> diffId;

        LayoutLayer(Descriptor descriptor, Optional<Digest> diffId) {
            this.descriptor = descriptor;
            this.diffId = diffId;
        }

        @Override
        public Descriptor descriptor() {
            return descriptor;
        }

        @Override
        public Optional<Digest> diffId() {
            return diffId;
        }

        @Override
        public InputStream open() throws IOException {
            Digest d = descriptor.parsedDigest();
            try {
                return new VerifyingInputStream(Files.newInputStream(blobPath(d)), d, descriptor.size(), "layer " + d);
            } catch (NoSuchFileException e) {
                throw new NotFoundException("OCI layout " + dir + " lacks layer blob " + d);
            }
        }
    }

    private record LayoutImage(Descriptor descriptor, byte[] rawManifest, Manifest manifest, byte[] rawConfig,
                               ImageConfig config, List<Layer> layers) implements Image {
    }

    /** Reads the layout's index.json as a tree (for tools listing tags). */
    public JsonNode indexJson() {
        return Json.readTree(readFile(dir.resolve("index.json"), "index.json"), "index.json");
    }
}
