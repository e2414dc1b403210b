package io.krgo.runtime;

import io.krgo.error.FilesystemException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Starts a process in a new user namespace with all of an {@link IdMapping}'s ranges, the way podman and
 * buildah do: util-linux {@code unshare} (2.38) maps one range per kind only, so the child is started in a
 * bare new namespace where it waits, this process writes its maps with {@code newuidmap}/{@code newgidmap}
 * (every range in one call: a map can be written once), then lets it go on to exec the command, now as the
 * namespace's root with its capabilities.
 *
 * <p>The child waits on a FIFO it opens before it unshares: this process holds the FIFO open for reading and
 * writing (so neither side blocks in open), sees the switch in {@code /proc/PID/ns/user}, removes the FIFO's
 * name at once (the child holds it already), maps, and writes {@code go}. Should this process die first, its
 * end closes and the child reads end-of-file and exits: nothing waits forever, nothing is left in the
 * temporary directory.
 */
final class NamespaceLauncher {
    /** Runs in the new namespace: waits for {@code go} on fd 3, then execs the command without fd 3. */
    private static final String WAIT = "read -r go <&3 && [ \"$go\" = go ] && exec \"$@\" 3<&-; exit 125";
    /** Runs before the unshare: the FIFO becomes fd 3. */
    private static final String OPEN = "exec 3<\"$0\" && exec \"$@\"";

    private NamespaceLauncher() {
    }

    /**
     * Starts {@code pb}'s command (it is replaced by the wrapped one) in a new user namespace with
     * {@code mapping}, and with {@code mount} a private mount namespace too. When the namespace cannot be
     * made (unshare fails) the process returned has exited, its message on its stderr.
     *
     * @throws FilesystemException when newuidmap or newgidmap refuses the ranges, or is missing
     */
    static Process start(ProcessBuilder pb, IdMapping mapping, boolean mount) throws IOException {
        List<String> cmd = new ArrayList<>(pb.command());
        if (!mapping.hasRanges()) {
            // the caller alone: unshare writes that map itself, no newuidmap involved
            pb.command(unshare(List.of("--map-root-user"), mount, cmd));
            return pb.start();
        }
        Path fifo = fifo();
        try (FileChannel go = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            List<String> inner = new ArrayList<>(List.of("/bin/sh", "-c", WAIT, "krgo-userns"));
            inner.addAll(cmd);
            List<String> c = new ArrayList<>(List.of("/bin/sh", "-c", OPEN, fifo.toString()));
            c.addAll(unshare(List.of(), mount, inner));
            Process p = pb.command(c).start();
            if (!awaitUnshared(p)) {
                return p; // unshare failed: its exit status and message are the caller's to read
            }
            Files.deleteIfExists(fifo);
            String refused = newIdMap("newuidmap", p.pid(), mapping.uidMap());
            if (refused == null) {
                refused = newIdMap("newgidmap", p.pid(), mapping.gidMap());
            }
            if (refused != null) {
                go.close(); // the child reads end-of-file and exits
                p.destroyForcibly();
                throw new FilesystemException("cannot map your subordinate ids (" + mapping.describe() + "): "
                        + refused);
            }
            go.write(ByteBuffer.wrap("go\n".getBytes(StandardCharsets.US_ASCII)));
            return p;
        } finally {
            Files.deleteIfExists(fifo);
        }
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

    /**
     * A new FIFO only this user can open, in the temporary directory. By coreutils' {@code mkfifo}, not JNA's
     * mknod: loading JNA costs a run that needs it nowhere else some 300 ms here, a process some 5.
     */
    private static Path fifo() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        Path f = dir.resolve("krgo-userns-" + Long.toHexString(ThreadLocalRandom.current().nextLong() | (1L << 63)));
        Process p = new ProcessBuilder("mkfifo", "-m", "600", "--", f.toString()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readNBytes(2000), StandardCharsets.UTF_8).strip();
        }
        try {
            if (p.waitFor() != 0) {
                throw new FilesystemException("cannot make a FIFO in " + dir + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilesystemException("interrupted while making a FIFO in " + dir, e);
        }
        return f;
    }

    /**
     * Waits until {@code p} is in a user namespace other than this process's; false when it exited first.
     * Polled: the kernel has no notification for it, and unshare gets there within milliseconds.
     */
    private static boolean awaitUnshared(Process p) throws IOException {
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        Path theirs = Path.of("/proc/" + p.pid() + "/ns/user");
        while (p.isAlive()) {
            try {
                if (!Files.readSymbolicLink(theirs).toString().equals(own)) {
                    return true;
                }
            } catch (IOException exiting) {
                // gone between the two checks: isAlive says so next
            }
            LockSupport.parkNanos(100_000);
        }
        return false;
    }

    /** Runs {@code tool PID ARGS}; null when it succeeded, else its message as one line. */
    private static String newIdMap(String tool, long pid, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(tool, Long.toString(pid)));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readNBytes(4000), StandardCharsets.UTF_8).strip().replace('\n', ' ');
            }
            int exit = p.waitFor();
            return exit == 0 ? null : out.isEmpty() ? tool + " failed with exit status " + exit : out;
        } catch (IOException e) {
            return tool + " cannot be started (" + e.getMessage() + "): apt-get install uidmap";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return tool + " interrupted";
        }
    }
}
