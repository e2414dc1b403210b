package io.krgo.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A host with hybrid cgroups: v1 controllers under {@code /sys/fs/cgroup} (a tmpfs) and the v2 hierarchy
 * at {@code /sys/fs/cgroup/unified}. crun 1.8 refuses to run there when that v2 hierarchy has a controller
 * (see {@link OciRuntime#command}).
 */
final class HybridCgroups {
    static final String V2_MOUNT = "/sys/fs/cgroup/unified";

    private HybridCgroups() {
    }

    /** Whether this is such a host and krgo may hide the v2 hierarchy from crun (only root can unmount it). */
    static boolean v2HasControllers() {
        return isRoot() && v2Controllers();
    }

    /** Whether this is such a host, whoever asks. */
    static boolean v2Controllers() {
        try {
            return !Files.readString(Path.of(V2_MOUNT, "cgroup.controllers")).isBlank();
        } catch (IOException e) {
            return false; // no such hierarchy: unified or legacy cgroups, which crun handles itself
        }
    }

    /**
     * {@code cmd} run after an empty tmpfs is mounted over the v2 hierarchy, for a runtime started without
     * root in a mount namespace of the user namespace's own: there the host's mount cannot be unmounted (the
     * kernel locks mounts a less privileged namespace inherits) but can be covered, so crun 1.8 sees legacy
     * (v1) cgroups, in which it makes no cgroups without root, as runc does. Exit 125 when it cannot mount.
     */
    static List<String> hidingV2(List<String> cmd) {
        List<String> c = new ArrayList<>(List.of("/bin/sh", "-c",
                "mount -t tmpfs -o ro,mode=555 krgo-no-cgroup2 \"$0\" || exit 125; exec \"$@\"", V2_MOUNT));
        c.addAll(cmd);
        return c;
    }

    /** Whether krgo runs as root (the owner of /proc/self is the effective uid). */
    static boolean isRoot() {
        try {
            return "0".equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString());
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
