package io.krgo.layer;

import io.krgo.error.FilesystemException;
import io.krgo.tar.AclText;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * User and group names of the image being built, from its own {@code /etc/passwd} and {@code /etc/group} as
 * the layers applied so far left them, read as a process in the image would ({@link RootfsFiles}: links
 * resolved inside the root, never the host's files; bounded): what a text ACL naming {@code user:alice:r--}
 * means. Read on first use after each {@link #invalidate()}.
 */
final class ImageIds {
    private final RootfsFiles files;
    private final TreeEdits.IoAction beforeRead;
    private Map<String, Long> users;
    private Map<String, Long> groups;

    /** @param beforeRead finishes pending writes, so the files are as the entries before left them */
    ImageIds(SafeRoot root, TreeEdits.IoAction beforeRead) {
        this.files = new RootfsFiles(root.root());
        this.beforeRead = beforeRead;
    }

    /** A layer may change the files: read them again when next asked. */
    void invalidate() {
        users = null;
        groups = null;
    }

    AclText.Names users() {
        return name -> {
            if (users == null) {
                users = read("/etc/passwd");
            }
            return users.getOrDefault(name, -1L);
        };
    }

    AclText.Names groups() {
        return name -> {
            if (groups == null) {
                groups = read("/etc/group");
            }
            return groups.getOrDefault(name, -1L);
        };
    }

    /** name → id from the third field of each {@code name:x:id:...} line; empty when the file is absent. */
    private Map<String, Long> read(String file) {
        Map<String, Long> ids = new HashMap<>();
        try {
            beforeRead.run();
            files.scanLines(file, line -> {
                String[] f = line.split(":", 4);
                if (f.length >= 3 && !f[0].isEmpty()) {
                    try {
                        ids.putIfAbsent(f[0], Long.parseLong(f[2].trim()));
                    } catch (NumberFormatException skip) {
                        // a malformed line names nobody
                    }
                }
                return false;
            });
        } catch (IOException | FilesystemException unreadable) {
            return Map.of(); // the names stay unknown, and an ACL entry naming one is left unset and counted
        }
        return ids;
    }
}
