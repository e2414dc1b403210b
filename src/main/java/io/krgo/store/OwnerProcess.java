package io.krgo.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether the process that made a file (its pid is in the file's name) is gone, so a later run may remove what
 * a killed one (SIGKILL, power loss) left behind. A process with that pid which started (over a minute) after
 * the file was last modified is a later process that reused the pid: the owner is gone.
 */
public final class OwnerProcess {
    // Absorbs the coarse start time the kernel reports and wall-clock steps.
    private static final Duration PID_REUSE_MARGIN = Duration.ofMinutes(1);

    private OwnerProcess() {
    }

    /** This process's pid, as it goes into the names of the files it owns. */
    public static long currentPid() {
        return ProcessHandle.current().pid();
    }

    public static boolean isGone(long pid, Path file) throws IOException {
        Optional<ProcessHandle> owner = ProcessHandle.of(pid);
        if (owner.isEmpty()) {
            return true;
        }
        Optional<Instant> started = owner.get().info().startInstant();
        return started.isPresent() && started.get().isAfter(
                Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant().plus(PID_REUSE_MARGIN));
    }
}
