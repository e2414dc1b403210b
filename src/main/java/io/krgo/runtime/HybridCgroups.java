package io.krgo.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
        try {
            return isRoot() && !Files.readString(Path.of(V2_MOUNT, "cgroup.controllers")).isBlank();
        } catch (IOException e) {
            return false; // no such hierarchy: unified or legacy cgroups, which crun handles itself
        }
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
