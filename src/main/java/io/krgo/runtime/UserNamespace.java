package io.krgo.runtime;

import io.krgo.error.FilesystemException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Commands run in a new user namespace with the caller's {@link IdMapping} (and, where they mount, a new
 * mount namespace): started by {@link NamespaceLauncher}, which has {@code newuidmap}/{@code newgidmap} write
 * all the subordinate ranges. A JVM cannot enter a user namespace itself (it is multithreaded, and
 * unshare(CLONE_NEWUSER) needs a single thread), so whatever must see the mapped ids is a child process:
 * the runtime, the image's extraction, the copy and the removal of files owned by subordinate ids (which
 * the caller cannot delete from outside). Each child gets a namespace of its own with the same mapping:
 * the same ids on disk.
 */
public record UserNamespace(IdMapping mapping) {
    /** The namespace of this process's user. */
    public static UserNamespace forThisProcess() {
        return new UserNamespace(IdMapping.forThisProcess());
    }

    /** {@code cmd} in a new user namespace (and a private mount namespace with {@code mount}). */
    public List<String> command(List<String> cmd, boolean mount) {
        return NamespaceLauncher.command(mapping, mount, cmd);
    }

    /**
     * {@code cmd} with the overlay (mount options {@code overlayOptions}) mounted at {@code merged} first, in
     * the namespace's own mount namespace, which lives as long as {@code cmd}; exit 125 when it cannot mount.
     */
    public List<String> withOverlay(String overlayOptions, Path merged, List<String> cmd) {
        List<String> c = new ArrayList<>(List.of("/bin/sh", "-c",
                "mount -t overlay overlay -o \"$1\" \"$2\" || exit 125; shift 2; exec \"$@\"", "krgo-overlay",
                overlayOptions, merged.toString()));
        c.addAll(cmd);
        return command(c, true);
    }

    /**
     * Fails with one line that says why when this user cannot make the namespace: unprivileged user
     * namespaces are forbidden (a setting of the kernel's names it) or at their limit, or {@code newuidmap}
     * is missing or refuses the ranges.
     */
    public void check() {
        // the handshake: where unshare() fails, unshare's own newuidmap helper would be left waiting forever
        Out o = run(NamespaceLauncher.handshake(mapping, false, List.of("true")));
        if (o.exit() == 0) {
            return;
        }
        String why = o.stderr().strip().replace('\n', ' ');
        String forbidden = forbiddenBy(Path.of("/proc/sys"));
        if (forbidden != null) {
            // read in this process's own user namespace: the limit of the namespace krgo runs in, which may
            // be a container's rather than the machine's
            throw new FilesystemException("unprivileged user namespaces are forbidden here (" + forbidden
                    + "), which krgo run without root needs: " + why);
        }
        if (why.contains("Operation not permitted") && why.contains("unshare failed")) {
            throw new FilesystemException("unprivileged user namespaces are forbidden here (unshare(CLONE_NEWUSER)"
                    + " failed with EPERM), which krgo run without root needs");
        }
        if (why.contains("No space left on device") && why.contains("unshare failed")) {
            // ENOSPC: this user's namespaces (here or in an enclosing namespace) are at their limit
            throw new FilesystemException("cannot create a user namespace: the limit user.max_user_namespaces is"
                    + " reached (ENOSPC), which krgo run without root needs");
        }
        if (why.contains("newuidmap") || why.contains("newgidmap")) {
            throw new FilesystemException("cannot map your subordinate ids (" + mapping.describe() + "): " + why
                    + (why.contains("not found") ? " (apt-get install uidmap)" : ""));
        }
        throw new FilesystemException("cannot create a user namespace with " + mapping.describe() + ": " + why);
    }

    /** Removes {@code path} and everything below it, as the namespace's root (owners are subordinate ids). */
    public void delete(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // the handshake: removal also cleans up after a failed check(), where unshare() fails
        Out o = run(NamespaceLauncher.handshake(mapping, false,
                List.of("rm", "-rf", "--one-file-system", "--", path.toString())));
        if (o.exit() != 0 || Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new FilesystemException("cannot remove " + path + " in the user namespace: " + o.stderr().strip());
        }
    }

    /** Whether an overlay can be mounted here inside the namespace (tried in a throwaway mount namespace). */
    public boolean canMountOverlay(String overlayOptions, Path merged) {
        return run(withOverlay(overlayOptions, merged, List.of("true"))).exit() == 0;
    }

    /** Copies {@code from} to {@code to} (cp -a) inside the namespace, so the subordinate owners are kept. */
    public void copy(Path from, Path to) {
        Out o = run(command(List.of("cp", "-a", "--", from.toString(), to.toString()), false));
        if (o.exit() != 0) {
            throw new FilesystemException("cannot copy the image " + from + " to " + to + ": " + o.stderr().strip());
        }
    }

    /** Which setting under {@code procSys} forbids unprivileged user namespaces, or null when none does. */
    static String forbiddenBy(Path procSys) {
        for (String[] s : new String[][] {{"kernel/unprivileged_userns_clone", "0"}, {"user/max_user_namespaces", "0"},
                {"kernel/apparmor_restrict_unprivileged_userns", "1"}}) {
            try {
                if (Files.readString(procSys.resolve(s[0])).strip().equals(s[1])) {
                    return s[0].replace('/', '.') + " = " + s[1];
                }
            } catch (IOException absent) {
                // this kernel has no such setting
            }
        }
        return null;
    }

    private record Out(int exit, String stderr) {
    }

    private static Out run(List<String> cmd) {
        try {
            Path err = Files.createTempFile("krgo-userns", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(600, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Out(-1, "timed out: " + String.join(" ", cmd));
                }
                String text = Files.readString(err, StandardCharsets.UTF_8);
                return new Out(p.exitValue(), text.length() > 2000 ? text.substring(0, 2000) : text);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Out(-1, e.getMessage() + (e.getMessage() != null && e.getMessage().contains("unshare")
                    ? " (apt-get install util-linux)" : ""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Out(-1, "interrupted");
        }
    }
}
