package io.krgo.sys;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file written whole or not at all (beside it, then renamed over it): what a user names for output
 * ({@code config -o}, {@code export --tar}) and krgo's own small files (a container's config and hosts files,
 * container.json, a rootfs's records). A device or pipe ({@code /dev/null}, {@code /dev/stdout},
 * a FIFO) is written into, never renamed over: as root, a rename over {@code /dev/null} replaced the device
 * node with a regular file, which broke every later process that opened it. A directory is refused.
 */
public final class OutputFile {
    /** What writes the content. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private OutputFile() {
    }

    /** Writes {@code bytes} as {@link #write(Path, Content)} does. */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, out -> out.write(bytes));
    }

    /** @throws IOException also when {@code file} is a directory ("it is a directory") */
    public static void write(Path file, Content content) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("it is a directory");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 256 * 1024)) {
                content.writeTo(os);
            }
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // named by the process, not Files.createTempFile, whose SecureRandom loads the security providers
        Path tmp = parent.resolve("." + file.getFileName() + ".part-" + ProcessHandle.current().pid());
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 256 * 1024)) {
                content.writeTo(os);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp); // gone after the move; a leftover of a failure otherwise
        }
    }
}
