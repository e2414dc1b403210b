package io.krgo.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which modes a regular file can be created with directly, so that it needs no chmod afterwards: what
 * creation keeps of the bits asked for (umask, or a default ACL) is probed once per tree.
 */
final class CreateModes {
    static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    private final Path root;
    private final boolean privileged;
    /** The permission bits creation keeps: -1 until probed, 0 once unusable. */
    private int createMask = -1;
    private final Map<Integer, FileAttribute<?>[]> attributes = new HashMap<>();

    CreateModes(Path root, boolean privileged) {
        this.root = root;
        this.privileged = privileged;
    }

    /** A default ACL below here masks new files differently: from now on every file gets a chmod. */
    void disable() {
        createMask = 0;
    }

    /**
     * The mode to create a regular file with so that no chmod is needed, or none. Never for
     * setuid/setgid/sticky (a later chown would clear them), never rootless for a mode the owner cannot
     * write (its owner record and xattrs are set after creation), and only when creation keeps the bits.
     */
    FileAttribute<?>[] forFile(int tarMode) throws IOException {
        int mode = tarMode & 07777;
        if ((mode & 07000) != 0 || createMask == 0 || (!privileged && (mode & 0600) != 0600)) {
            return NONE;
        }
        if (createMask < 0) {
            createMask = probe();
            if (createMask == 0) {
                return NONE;
            }
        }
        if ((mode & ~createMask) != 0) {
            return NONE;
        }
        return attributes.computeIfAbsent(mode,
                m -> new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions(m))});
    }

    /**
     * Creates a file asking for 0777 and reads what it got: umask and default ACLs both act as a fixed
     * mask on the bits asked for, so this one probe tells which modes survive creation.
     */
    private int probe() throws IOException {
        Path probe = root.resolve(".krgo-mode-probe-" + System.nanoTime());
        try {
            Files.createFile(probe, PosixFilePermissions.asFileAttribute(permissions(0777)));
            return (Integer) Files.getAttribute(probe, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777;
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }
}
