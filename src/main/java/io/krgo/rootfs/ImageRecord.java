package io.krgo.rootfs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.krgo.image.Descriptor;
import io.krgo.image.Json;
import io.krgo.image.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code metaDir/image.json}: what was pulled into a rootfs directory. {@link RootfsMetadata} reads and writes
 * it, and keeps the image config's bytes beside it ({@code metaDir/config.json}), so runtime configs need
 * neither the content store nor the network; {@code commit} replaces the config with the committed image's.
 *
 * @param reference      the reference as the user gave it (may be null for a layout source)
 * @param manifestDigest digest of the manifest
 * @param configDigest   digest of the config
 * @param platform       the image's platform (from its config)
 * @param layers         the manifest's layer descriptors, oldest first
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageRecord(String reference, String manifestDigest, String configDigest, Platform platform,
                          List<Descriptor> layers) {
    public ImageRecord {
        layers = layers == null ? List.of() : List.copyOf(layers);
    }

    public static Optional<ImageRecord> read(Path file) {
        try {
            return Optional.of(Json.read(Files.readAllBytes(file), ImageRecord.class, file.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // unreadable metadata only means "not known to be up to date"
        }
    }

    public void write(Path file) throws IOException {
        Files.write(file, Json.write(this));
    }

    /** Writes {@code metaDir/image.json} and the config's exact bytes as {@code metaDir/config.json}. */
    public void write(Path metaDir, byte[] rawConfig) throws IOException {
        new RootfsMetadata(metaDir).writeImageRecord(this, rawConfig);
    }
}
