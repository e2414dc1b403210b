package io.krgo.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.FilesystemException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Json;
import io.krgo.image.Layer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
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
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, "." + file.getFileName(), ".part");
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 256 * 1024);
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
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
                        TarArchiveEntry e = fileEntry(name, d.size());
                        tar.putArchiveEntry(e);
                        try (InputStream in = layer.open()) { // verifies size and digest at EOF
                            in.transferTo(tar);
                        }
                        tar.closeArchiveEntry();
                    }
                }
                ArrayNode manifest = Json.MAPPER.createArrayNode().add(entry);
                putBytes(tar, "manifest.json", Json.write(manifest));
                tar.finish();
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new FilesystemException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover .part file is harmless and named as such
                }
            }
        }
    }

    private static String blobName(Digest d) {
        return "blobs/" + d.algorithm() + "/" + d.hex();
    }

    /** A directory entry when {@code bytes} is null, else a regular file with those bytes. */
    private static void putBytes(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        TarArchiveEntry e;
        if (bytes == null) {
            e = new TarArchiveEntry(name);
            e.setMode(040755);
            e.setModTime(0);
        } else {
            e = fileEntry(name, bytes.length);
        }
        tar.putArchiveEntry(e);
        if (bytes != null) {
            tar.write(bytes);
        }
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry fileEntry(String name, long size) {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(size);
        e.setMode(0100644);
        e.setModTime(0); // deterministic: the same image gives the same archive
        return e;
    }
}
