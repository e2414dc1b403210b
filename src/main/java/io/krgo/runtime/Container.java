package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.sys.TerminalSize;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A created container: start it, wait for it, signal it, stop it (StopSignal, then SIGKILL after a
 * timeout), remove it. The runtime's exit status is the container process's (128+N for a signal).
 */
public final class Container {
    private final ContainerRecord record;
    private final Path dir;
    private final OciRuntime runtime;
    private final List<String> notHonoured;
    /** Rootless: the user namespace the runtime runs in (and removal happens in); null as root. */
    private final UserNamespace userns;
    private final ContainerTerminal terminal;
    private Process process;

    Container(ContainerRecord record, Path dir, OciRuntime runtime, List<String> notHonoured, UserNamespace userns) {
        this.record = record;
        this.dir = dir;
        this.runtime = runtime;
        this.notHonoured = List.copyOf(notHonoured);
        this.userns = userns;
        this.terminal = new ContainerTerminal(runtime, record.name());
    }

    /** What of the image config the OCI runtime cannot honour (also warned about when it was created). */
    public List<String> notHonoured() {
        return notHonoured;
    }

    public ContainerRecord record() {
        return record;
    }

    public Path dir() {
        return dir;
    }

    /** Starts the container's process; standard output and error pass through, standard input only with {@code stdin}. */
    public void start(boolean stdin) {
        start(stdin, null);
    }

    /**
     * As {@link #start(boolean)}; a container with a terminal ({@code -t}) starts with {@code terminalSize}
     * (krgo's own terminal's, or null for none: the runtime's default, which for crun 1.8 is 0 rows, 0 columns).
     */
    public void start(boolean stdin, TerminalSize terminalSize) {
        if (terminalSize != null) {
            ContainerTerminal.writeConsoleSize(dir.resolve("config.json"), terminalSize);
        }
        if (userns == null) {
            process = runtime.start(dir, record.name(), stdin);
        } else {
            // crun on a hybrid host without root: cgroup v2 is hidden in the runtime's mount namespace
            boolean hide = runtime.hidesCgroupV2WithoutRoot();
            UnaryOperator<List<String>> inner = hide ? HybridCgroups::hidingV2 : cmd -> cmd;
            if (record.overlay()) {
                // The overlay lives in the mount namespace of the runtime's process: mounted there just before it.
                String options = Overlay.options(Path.of(record.imageDir()), dir.resolve("upper"),
                        dir.resolve("work"));
                process = runtime.start(dir, record.name(), stdin,
                        cmd -> userns.withOverlay(options, Path.of(record.rootfs()), inner.apply(cmd)));
            } else {
                process = runtime.start(dir, record.name(), stdin, cmd -> userns.command(inner.apply(cmd), hide));
            }
        }
        terminal.started(process);
    }

    /**
     * The container's terminal is to have {@code size} from now on (on SIGWINCH): the runtime does it where it
     * follows its own terminal's size (runc), else krgo sets it on the container's pseudo-terminal. May be
     * called before {@link #start}: the size is set once the container's process exists.
     */
    public void resizeTerminal(TerminalSize size) {
        terminal.resize(size);
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
        remove(runtime, record, dir, userns);
    }

    static void remove(OciRuntime runtime, ContainerRecord record, Path dir, UserNamespace userns) {
        runtime.delete(record.name());
        if (userns != null) {
            // Rootless: the overlay was mounted in the runtime's own mount namespace, gone with it; the
            // upper directory holds files of subordinate ids that only the namespace's root can delete.
            userns.delete(dir);
            return;
        }
        Overlay.unmount(dir.resolve("rootfs"));
        if (Overlay.isMountPoint(dir.resolve("rootfs"))) {
            throw new FilesystemException("cannot unmount " + dir.resolve("rootfs") + "; container directory kept");
        }
        io.krgo.sys.Trees.deleteQuietly(dir);
    }
}
