package io.krgo.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ids a rootless container sees, as podman and buildah map them: the caller is root (0), and all the
 * caller's subordinate ranges of {@code /etc/subuid} (and {@code /etc/subgid}), in file order, follow one
 * another from id 1: the first range is ids 1 to its size N1 (an image's uid 1000 is the host's
 * {@code start + 999}), the second N1+1 on, and so on. Without ranges only the caller is mapped (every
 * owner collapses to root).
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

    /** The highest uid mapped in the container (0 without ranges): the sizes of all ranges added up. */
    public long maxUid() {
        return hasRanges() ? total(subUids) : 0;
    }

    /** The highest gid mapped in the container (0 without ranges). */
    public long maxGid() {
        return hasRanges() ? total(subGids) : 0;
    }

    /**
     * {@code newuidmap}'s arguments after the pid (triples: container id, host id, count): the caller as 0,
     * then every range from 1 up. Empty without ranges (the caller alone needs no newuidmap).
     */
    public List<String> uidMap() {
        return hasRanges() ? map(uid, subUids) : List.of();
    }

    /** {@code newgidmap}'s arguments after the pid, as {@link #uidMap}. */
    public List<String> gidMap() {
        return hasRanges() ? map(gid, subGids) : List.of();
    }

    private static List<String> map(long caller, List<SubordinateIds.Range> ranges) {
        List<String> a = new ArrayList<>(List.of("0", Long.toString(caller), "1"));
        long inside = 1;
        for (SubordinateIds.Range r : ranges) {
            a.addAll(List.of(Long.toString(inside), Long.toString(r.start()), Long.toString(r.count())));
            inside += r.count();
        }
        return a;
    }

    private static long total(List<SubordinateIds.Range> ranges) {
        long n = 0;
        for (SubordinateIds.Range r : ranges) {
            n += r.count();
        }
        return n;
    }

    /** One line for messages: which container ids are mapped to what. */
    public String describe() {
        if (!hasRanges()) {
            return "only uid/gid 0 (you, " + uid + ":" + gid + "); no ranges for " + user
                    + " in /etc/subuid and /etc/subgid";
        }
        return "uids 0-" + maxUid() + " (0: you" + ranges(subUids, "/etc/subuid") + "), gids 0-" + maxGid()
                + " (0: you" + ranges(subGids, "/etc/subgid") + ")";
    }

    private static String ranges(List<SubordinateIds.Range> ranges, String file) {
        StringBuilder b = new StringBuilder();
        long inside = 1;
        for (SubordinateIds.Range r : ranges) {
            b.append(", ").append(inside).append('-').append(inside + r.count() - 1).append(": ").append(file)
                    .append(' ').append(r);
            inside += r.count();
        }
        return b.toString();
    }
}
