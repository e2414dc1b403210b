package io.krgo.runtime;

import io.krgo.error.FilesystemException;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A created container: start it, wait for it, signal it, stop it (StopSignal, then SIGKILL after a
 * timeout), remove it. The runtime's exit status is the container process's (128+N for a signal).
 */
public final class Container {
    private final ContainerRecord record;
    private final Path dir;
    private final OciRuntime runtime;
    private Process process;

    Container(ContainerRecord record, Path dir, OciRuntime runtime) {
        this.record = record;
        this.dir = dir;
        this.runtime = runtime;
    }

    public ContainerRecord record() {
        return record;
    }

    public Path dir() {
        return dir;
    }

    /** Starts the container's process; standard output and error pass through, standard input only with {@code stdin}. */
    public void start(boolean stdin) {
        process = runtime.start(dir, record.name(), stdin);
    }

    /** Waits for the process; returns its exit status. */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** Sends {@code signal} (as named by kill(1): TERM, SIGINT, 9) to the container's first process. */
    public void signal(String signal) {
        runtime.kill(record.name(), signal);
    }

    /** docker stop: the StopSignal, then SIGKILL when the container still runs after {@code timeout}. */
    public void stop(Duration timeout) {
        stop(runtime, record, timeout);
    }

    static void stop(OciRuntime runtime, ContainerRecord record, Duration timeout) {
        if (!runtime.kill(record.name(), record.stopSignal())) {
            return; // not running
        }
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            String status = runtime.status(record.name());
            if (status == null || status.equals("stopped")) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        runtime.kill(record.name(), "KILL");
    }

    /** Removes the runtime's state, the overlay mount and the container directory ({@code -r DIR} stays). */
    public void remove() {
        remove(runtime, record, dir);
    }

    static void remove(OciRuntime runtime, ContainerRecord record, Path dir) {
        runtime.delete(record.name());
        Overlay.unmount(dir.resolve("rootfs"));
        if (Overlay.isMountPoint(dir.resolve("rootfs"))) {
            throw new FilesystemException("cannot unmount " + dir.resolve("rootfs") + "; container directory kept");
        }
        io.krgo.sys.Trees.deleteQuietly(dir);
    }
}
