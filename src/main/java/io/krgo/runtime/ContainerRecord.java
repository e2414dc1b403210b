package io.krgo.runtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.krgo.image.Json;
import io.krgo.sys.OutputFile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code containers/NAME/container.json}: what {@code ps}, {@code stop}, {@code rm} and {@code prune} need to
 * know of a container, whichever krgo process started it.
 *
 * @param name       the container's name, also its id in the OCI runtime
 * @param image      the image reference as given, or the rootfs directory of {@code -r}
 * @param imageDir   the unpacked image it runs on (shared, read-only), or null for {@code -r DIR} in place
 * @param rootfs     the container's root: the overlay (or copy) in the container directory, or {@code -r DIR}
 * @param overlay    whether {@code rootfs} is an overlay mount (else a copy, or DIR itself)
 * @param stopSignal the image's StopSignal
 * @param runtime    the OCI runtime binary
 * @param created    when it was created (ISO-8601)
 * @param pid        the krgo process that runs it in the foreground
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContainerRecord(String name, String image, String imageDir, String rootfs, boolean overlay,
                              String stopSignal, String runtime, String created, long pid) {
    static final String FILE = "container.json";

    static Optional<ContainerRecord> read(Path containerDir) {
        try {
            return Optional.of(Json.read(Files.readAllBytes(containerDir.resolve(FILE)), ContainerRecord.class,
                    containerDir.resolve(FILE).toString()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Written with Jackson's streaming generator: the first data-binding write of a process costs a hot
     * {@code krgo run} ~30 ms of mapper and serializer set-up. Read back by data binding ({@link #read}).
     */
    void write(Path containerDir) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(buf)) {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeStringField("image", image);
            g.writeStringField("imageDir", imageDir);
            g.writeStringField("rootfs", rootfs);
            g.writeBooleanField("overlay", overlay);
            g.writeStringField("stopSignal", stopSignal);
            g.writeStringField("runtime", runtime);
            g.writeStringField("created", created);
            g.writeNumberField("pid", pid);
            g.writeEndObject();
        }
        OutputFile.write(containerDir.resolve(FILE), buf.toByteArray());
    }
}
