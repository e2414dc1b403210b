package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.sys.Trees;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A container's root file system: the shared unpacked image as the read-only lower layer of a kernel
 * overlayfs, with the container's own upper and work directories; where overlayfs cannot be mounted,
 * a copy of the image (the caller says so once).
 */
final class Overlay {
    private Overlay() {
    }

    /** Mounts the overlay at {@code merged}; false when the kernel refused (then nothing is mounted). */
    static boolean mount(Path lower, Path upper, Path work, Path merged) {
        return startMount(lower, upper, work, merged).await();
    }

    /**
     * Starts mounting the overlay at {@code merged} on a thread of its own and returns at once: the caller
     * writes the container's config meanwhile (starting mount(8) and its run take 20-35 ms).
     */
    static Mounting startMount(Path lower, Path upper, Path work, Path merged) {
        createDirs(upper, work, merged);
        List<String> cmd = List.of("mount", "-t", "overlay", "overlay", "-o", options(lower, upper, work),
                merged.toString());
        java.util.concurrent.FutureTask<Boolean> task = new java.util.concurrent.FutureTask<>(() -> run(cmd) == 0);
        Thread t = new Thread(task, "krgo-mount");
        t.setDaemon(true);
        t.start();
        return new Mounting(task);
    }

    /** A mount under way. */
    static final class Mounting {
        private final java.util.concurrent.Future<Boolean> result;

        private Mounting(java.util.concurrent.Future<Boolean> result) {
            this.result = result;
        }

        /** Waits for the mount; false when it failed (then nothing is mounted). */
        boolean await() {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return result.get();
                    } catch (InterruptedException e) {
                        // the mount runs to its end either way: its result decides what the caller must undo
                        interrupted = true;
                    } catch (java.util.concurrent.ExecutionException e) {
                        return false;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Creates the overlay's directories. */
    static void createDirs(Path upper, Path work, Path merged) {
        try {
            Files.createDirectories(upper);
            Files.createDirectories(work);
            Files.createDirectories(merged);
        } catch (IOException e) {
            throw new FilesystemException("cannot create " + merged + ": " + e.getMessage(), e);
        }
    }

    /** The overlay's mount options (paths escaped). */
    static String options(Path lower, Path upper, Path work) {
        return "lowerdir=" + escape(lower) + ",upperdir=" + escape(upper) + ",workdir=" + escape(work);
    }

    /** Copies {@code lower} to {@code merged} (cp -a keeps owners, modes, links, xattrs). */
    static void copy(Path lower, Path merged) {
        Trees.deleteQuietly(merged);
        if (run(List.of("cp", "-a", "--", lower.toString(), merged.toString())) != 0) {
            throw new FilesystemException("cannot copy the image " + lower + " to " + merged);
        }
    }

    /** Unmounts {@code merged} if it is a mount point (lazily, so a busy one goes away when released). */
    static void unmount(Path merged) {
        if (isMountPoint(merged)) {
            run(List.of("umount", "-l", merged.toString()));
        }
    }

    static boolean isMountPoint(Path dir) {
        try {
            String target = " " + dir.toAbsolutePath().normalize() + " ";
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4 && (" " + f[4] + " ").equals(target)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** overlayfs splits its options at commas and lowerdir at colons: both are escaped with a backslash. */
    private static String escape(Path p) {
        return p.toString().replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:");
    }

    private static int run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
