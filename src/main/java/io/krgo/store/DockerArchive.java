package io.krgo.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.FilesystemException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Json;
import io.krgo.image.Layer;
import io.krgo.sys.OutputFile;
import io.krgo.tar.TarWriter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The docker-archive sink ({@code docker save} format): a tar holding {@code manifest.json}
 * ({@code [{"Config", "RepoTags", "Layers"}]}), the config blob and the layer blobs, under
 * {@code blobs/sha256/HEX} as Docker 25+ writes them. Layers are stored as the registry has them
 * (compressed); {@code docker load} and {@code skopeo copy docker-archive:} decompress them. Blobs are
 * streamed (and verified) into the tar; the file appears under its name only when complete.
 */
public final class DockerArchive {
    private DockerArchive() {
    }

    /** Writes {@code image} to {@code file}, naming it {@code repoTags} (e.g. {@code busybox:latest}). */
    public static void write(Image image, List<String> repoTags, Path file) {
        try {
            OutputFile.write(file, os -> writeTar(image, repoTags, os));
        } catch (IOException e) {
            throw new FilesystemException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeTar(Image image, List<String> repoTags, OutputStream os) throws IOException {
        try (TarWriter tar = new TarWriter(os)) {
            Descriptor cfg = image.manifest().config();
            String configName = blobName(cfg.parsedDigest());
            ObjectNode entry = Json.MAPPER.createObjectNode();
            entry.put("Config", configName);
            ArrayNode tags = entry.putArray("RepoTags");
            repoTags.forEach(tags::add);
            ArrayNode layerNames = entry.putArray("Layers");
            Set<String> written = new HashSet<>();
            putBytes(tar, "blobs/", null);
            putBytes(tar, "blobs/sha256/", null);
            putBytes(tar, configName, image.rawConfig());
            written.add(configName);
            for (Layer layer : image.layers()) {
                Descriptor d = layer.descriptor();
                String name = blobName(d.parsedDigest());
                layerNames.add(name);
                if (written.add(name)) {
                    tar.writeHeader(fileEntry(name, d.size()));
                    try (InputStream in = layer.open()) { // verifies size and digest at EOF
                        tar.writeContent(in, d.size());
                        if (in.read() >= 0) {
                            throw new IOException("layer " + d.digest() + " is longer than its descriptor says");
                        }
                    }
                }
            }
            ArrayNode manifest = Json.MAPPER.createArrayNode().add(entry);
            putBytes(tar, "manifest.json", Json.write(manifest));
        }
    }

    private static String blobName(Digest d) {
        return "blobs/" + d.algorithm() + "/" + d.hex();
    }

    /** A directory entry when {@code bytes} is null, else a regular file with those bytes. */
    private static void putBytes(TarWriter tar, String name, byte[] bytes) throws IOException {
        if (bytes == null) {
            tar.writeHeader(new TarWriter.Header(name, TarWriter.DIR, 0755, 0, 0, 0, 0, null, 0, 0, Map.of()));
            return;
        }
        tar.writeHeader(fileEntry(name, bytes.length));
        tar.writeContent(new ByteArrayInputStream(bytes), bytes.length);
    }

    /** A regular file of mode 0644, owned by root and dated 0: the same image gives the same archive. */
    private static TarWriter.Header fileEntry(String name, long size) {
        return new TarWriter.Header(name, TarWriter.REG, 0644, 0, 0, size, 0, null, 0, 0, Map.of());
    }
}
