package io.krgo.layer;

import io.krgo.error.UnsafeImageException;
import io.krgo.tar.AclText;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.HashMap;
import java.util.Map;

/**
 * User and group names of the image being built, from its own {@code etc/passwd} and {@code etc/group} as
 * the layers applied so far left them (resolved inside the root, never the host's files): what a text ACL
 * naming {@code user:alice:r--} means. Read on first use after each {@link #invalidate()}; files larger than
 * {@value #MAX_BYTES} bytes are an unsafe image rather than an unbounded read.
 */
final class ImageIds {
    static final int MAX_BYTES = 16 << 20;

    private final SafeRoot root;
    private final TreeEdits.IoAction beforeRead;
    private Map<String, Long> users;
    private Map<String, Long> groups;

    /** @param beforeRead finishes pending writes, so the files are as the entries before left them */
    ImageIds(SafeRoot root, TreeEdits.IoAction beforeRead) {
        this.root = root;
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
                users = read("etc/passwd");
            }
            return users.getOrDefault(name, -1L);
        };
    }

    AclText.Names groups() {
        return name -> {
            if (groups == null) {
                groups = read("etc/group");
            }
            return groups.getOrDefault(name, -1L);
        };
    }

    /** name → id from the third field of each {@code name:x:id:...} line; empty when the file is absent. */
    private Map<String, Long> read(String rel) {
        Map<String, Long> ids = new HashMap<>();
        SafeRoot.Resolved r;
        try {
            r = root.resolve(rel, false, null);
        } catch (UnsafeImageException noEtcDirectory) {
            return ids;
        }
        byte[] bytes;
        try {
            beforeRead.run();
            if (!Files.isRegularFile(r.path(), LinkOption.NOFOLLOW_LINKS)) {
                return ids;
            }
            try (InputStream in = OwnerRead.open(r.path())) {
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
        } catch (IOException unreadable) {
            return ids; // the names stay unknown, and an ACL entry naming one is refused saying so
        }
        if (bytes.length > MAX_BYTES) {
            throw new UnsafeImageException("/" + rel + " of the image is larger than " + MAX_BYTES + " bytes");
        }
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split(":", 4);
            if (f.length >= 3 && !f[0].isEmpty()) {
                try {
                    ids.putIfAbsent(f[0], Long.parseLong(f[2].trim()));
                } catch (NumberFormatException skip) {
                    // a malformed line names nobody
                }
            }
        }
        return ids;
    }
}
