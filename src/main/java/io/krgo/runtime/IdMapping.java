package io.krgo.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ids a rootless container sees, as podman and buildah map them: the caller is root (0), and the
 * caller's first subordinate range of {@code /etc/subuid} (and {@code /etc/subgid}) is ids 1 to its size,
 * so an image's uid 1000 is the host's {@code start + 999}. Without ranges only the caller is mapped (every
 * owner collapses to root). One range per kind, because util-linux's {@code unshare --map-users} (2.38)
 * takes one; further ranges of the user are not used.
 *
 * @param user     the caller's login name
 * @param uid      the caller's uid on the host
 * @param gid      the caller's gid on the host
 * @param subUids  the caller's ranges in {@code /etc/subuid}
 * @param subGids  the caller's ranges in {@code /etc/subgid}
 */
public record IdMapping(String user, long uid, long gid, List<SubordinateIds.Range> subUids,
                        List<SubordinateIds.Range> subGids) {
    public IdMapping {
        subUids = List.copyOf(subUids);
        subGids = List.copyOf(subGids);
    }

    /** This process's user and its ranges in {@code /etc/subuid} and {@code /etc/subgid}. */
    public static IdMapping forThisProcess() {
        long uid;
        long gid;
        try {
            uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
            gid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot read this process's uid from /proc/self", e);
        }
        String user = System.getProperty("user.name", Long.toString(uid));
        return new IdMapping(user, uid, gid, SubordinateIds.read(Path.of("/etc/subuid"), user, uid),
                SubordinateIds.read(Path.of("/etc/subgid"), user, uid));
    }

    /** The caller alone (as root), without the subordinate ranges. */
    public IdMapping callerOnly() {
        return new IdMapping(user, uid, gid, List.of(), List.of());
    }

    /** Whether the user has both a uid and a gid range (else only the caller is mapped). */
    public boolean hasRanges() {
        return !subUids.isEmpty() && !subGids.isEmpty();
    }

    /** The highest uid mapped in the container (0 without ranges). */
    public long maxUid() {
        return hasRanges() ? subUids.get(0).count() : 0;
    }

    /** The highest gid mapped in the container (0 without ranges). */
    public long maxGid() {
        return hasRanges() ? subGids.get(0).count() : 0;
    }

    /** util-linux {@code unshare}'s options that make this mapping (newuidmap/newgidmap for the ranges). */
    public List<String> unshareOptions() {
        List<String> o = new ArrayList<>(List.of("--user", "--map-root-user"));
        if (hasRanges()) {
            SubordinateIds.Range u = subUids.get(0);
            SubordinateIds.Range g = subGids.get(0);
            o.add("--map-users=" + u.start() + ",1," + u.count());
            o.add("--map-groups=" + g.start() + ",1," + g.count());
        }
        return o;
    }

    /** One line for messages: which container ids are mapped to what. */
    public String describe() {
        if (!hasRanges()) {
            return "only uid/gid 0 (you, " + uid + ":" + gid + "); no ranges for " + user
                    + " in /etc/subuid and /etc/subgid";
        }
        return "uids 0-" + maxUid() + " (0: you, 1-" + maxUid() + ": /etc/subuid " + subUids.get(0) + "), gids 0-"
                + maxGid() + " (0: you, 1-" + maxGid() + ": /etc/subgid " + subGids.get(0) + ")";
    }
}
