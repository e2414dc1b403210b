package io.krgo.runtime;

import java.util.List;

/**
 * The user a container's process runs as, resolved from an image's {@code User} (or {@code -u}).
 *
 * @param uid            the user id
 * @param gid            the primary group id
 * @param additionalGids supplementary groups: the groups whose member list names the user, when the group
 *                       was not given explicitly (docker's and runc's rule)
 * @param name           the user's name in the rootfs's {@code /etc/passwd}, or null when it has no entry
 * @param home           the user's home directory from {@code /etc/passwd}, or null
 */
public record ContainerUser(long uid, long gid, List<Long> additionalGids, String name, String home) {
    public ContainerUser {
        additionalGids = List.copyOf(additionalGids);
    }

    public static final ContainerUser ROOT = new ContainerUser(0, 0, List.of(), "root", "/root");
}
