package io.krgo.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line that starts a command in a new user namespace with all of an {@link IdMapping}'s ranges,
 * as podman and buildah map them. util-linux {@code unshare} (2.38) maps one range per kind only: it is
 * used for one range (or none, see {@link #command}); else ({@link #handshake}) the child unshares bare,
 * and a helper outside the namespace writes its maps with {@code newuidmap} and {@code newgidmap} (every
 * range in one call: a map can be written once; they cannot run inside, where their setuid root does not
 * count), then lets it go on to exec the command, now as the namespace's root with its capabilities.
 *
 * <p>All of it happens in the child, by bash and sh, not in this JVM: a bash coprocess is the helper,
 * joined to the child by two pipes. The child says on one that it has unshared, the helper maps and answers
 * {@code go} on the other. Nothing waits on a dead partner: either side's end of a pipe closes when it
 * dies, and the other reads end-of-file. The process started is the child itself (bash, then unshare, sh
 * and the command, by exec), so its pid, exit status and standard streams are the command's.
 * When newuidmap refuses, its message is on the child's stderr and the child exits 125 without running the
 * command.
 */
final class NamespaceLauncher {
    /** Runs in the new namespace: says it has unshared (fd 4), waits for {@code go} (fd 3), execs the command. */
    private static final String WAIT =
            "echo >&4 && exec 4>&- && read -r go <&3 && [ \"$go\" = go ] && exec \"$@\" 3<&-; exit 125";

    private NamespaceLauncher() {
    }

    /**
     * {@code cmd} in a new user namespace with {@code mapping}, and with {@code mount} a private mount
     * namespace too. One range each (what useradd gives) goes through unshare's own mapping: in C, about
     * 25 ms sooner per namespace on a busy 2-core machine than the shells of {@link #handshake}. But when
     * unshare() itself fails, util-linux 2.38 leaves the helper it forked for newuidmap waiting forever on an
     * eventfd (measured here with user.max_user_namespaces = 0), so {@code krgo run} makes its first
     * namespace by {@link #handshake} ({@link UserNamespace#check}), which proves unshare() works, and
     * removals ({@link UserNamespace#delete}: also the clean-up after a failed check) use it too.
     */
    static List<String> command(IdMapping mapping, boolean mount, List<String> cmd) {
        if (mapping.subUids().size() == 1 && mapping.subGids().size() == 1) {
            SubordinateIds.Range u = mapping.subUids().get(0);
            SubordinateIds.Range g = mapping.subGids().get(0);
            return unshare(List.of("--map-root-user", "--map-users=" + u.start() + ",1," + u.count(),
                    "--map-groups=" + g.start() + ",1," + g.count()), mount, cmd);
        }
        return handshake(mapping, mount, cmd);
    }

    /** As {@link #command}, every range mapped by newuidmap/newgidmap of the coprocess's. */
    static List<String> handshake(IdMapping mapping, boolean mount, List<String> cmd) {
        if (!mapping.hasRanges()) {
            // the caller alone: unshare writes that map itself, no newuidmap involved
            return unshare(List.of("--map-root-user"), mount, cmd);
        }
        // The maps are numbers only, so they go into the script as they are. /dev/fd reopens the coprocess's
        // pipes: bash keeps its own descriptors for them close-on-exec, and dups of them too.
        String script = "coproc MAP { read -r _ || exit 0; newuidmap $$ " + String.join(" ", mapping.uidMap())
                + " >&2 && newgidmap $$ " + String.join(" ", mapping.gidMap()) + " >&2 && echo go; }\n"
                + "exec 3</dev/fd/${MAP[0]} 4>/dev/fd/${MAP[1]} && exec "
                + String.join(" ", unshare(List.of(), mount, List.of("/bin/sh", "-c", "'" + WAIT + "'",
                        "krgo-userns"))) + " \"$@\"";
        // -p: no $BASH_ENV file is read and no function is imported from the environment
        List<String> c = new ArrayList<>(List.of("/bin/bash", "-p", "-c", script, "krgo-userns"));
        c.addAll(cmd);
        return c;
    }

    private static List<String> unshare(List<String> mapOptions, boolean mount, List<String> cmd) {
        List<String> c = new ArrayList<>(List.of("unshare", "--user"));
        c.addAll(mapOptions);
        if (mount) {
            c.addAll(List.of("--mount", "--propagation", "private"));
        }
        c.add("--");
        c.addAll(cmd);
        return c;
    }
}
