package io.krgo.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Opens a file of a rootless tree for reading even when the image's mode denies its owner that
 * ({@code /etc/shadow} of mode 0000 in RHEL-family images): the owner lends itself read permission for
 * the moment of the open, as umoci does. The mode is restored before the stream is returned; an open
 * descriptor stays readable. As root, nothing is denied and nothing changes.
 */
public final class OwnerRead {
    private OwnerRead() {
    }

    public static InputStream open(Path file) throws IOException {
        try {
            return Files.newInputStream(file);
        } catch (AccessDeniedException denied) {
            int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
            if ((mode & 0400) != 0) {
                throw denied; // not a question of the owner's read bit
            }
            Files.setAttribute(file, "unix:mode", mode | 0400); // fails as well when the file is not ours
            InputStream in;
            try {
                in = Files.newInputStream(file);
            } finally {
                Files.setAttribute(file, "unix:mode", mode);
            }
            return in;
        }
    }
}
