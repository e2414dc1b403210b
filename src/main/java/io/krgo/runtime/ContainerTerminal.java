package io.krgo.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.FilesystemException;
import io.krgo.image.Json;
import io.krgo.sys.OutputFile;
import io.krgo.sys.TerminalSize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The size of a container's terminal ({@code run -t}): the size it starts with, written into its bundle's
 * {@code process.consoleSize} just before the runtime starts (so its first process sees it, and a config
 * that {@link BundleConfigCache} reuses never holds one terminal's size), and the resizes that follow, for
 * runtimes that do not pass them on themselves ({@link OciRuntime#followsTerminalSize()}): set on the
 * container's pseudo-terminal from outside, through {@code /proc/PID/fd} of its first process.
 */
final class ContainerTerminal {
    /** The start of the configs {@link OciSpec} writes, up to the opening of {@code process}. */
    private static final Pattern PROCESS_START = Pattern.compile(
            "\\A\\{\\s*\"ociVersion\"\\s*:\\s*\"[^\"\\\\]*\"\\s*,\\s*\"process\"\\s*:\\s*\\{");
    /** How long a resize waits for the container's process to have its terminal (it may just be starting). */
    private static final int APPLY_ATTEMPTS = 100;
    private static final long RETRY_MILLIS = 50;

    private final OciRuntime runtime;
    private final String id;
    private final AtomicReference<TerminalSize> pending = new AtomicReference<>();
    private final Semaphore wake = new Semaphore(0);
    private volatile Process process;
    private Thread follower; // guarded by this

    ContainerTerminal(OciRuntime runtime, String id) {
        this.runtime = runtime;
        this.id = id;
    }

    /**
     * Sets {@code process.consoleSize} in {@code config}. A config of {@link OciSpec} gets it inserted as text
     * (a hot run parses no JSON); any other is parsed and written again.
     */
    static void writeConsoleSize(Path config, TerminalSize size) {
        try {
            String json = Files.readString(config, StandardCharsets.UTF_8);
            Matcher m = PROCESS_START.matcher(json);
            String out;
            if (m.lookingAt() && !json.contains("\"consoleSize\"")) {
                out = json.substring(0, m.end()) + "\n    \"consoleSize\" : {\n      \"height\" : " + size.rows()
                        + ",\n      \"width\" : " + size.columns() + "\n    }," + json.substring(m.end());
            } else {
                ObjectNode c = (ObjectNode) Json.MAPPER.readTree(json);
                ObjectNode process = c.get("process") instanceof ObjectNode o ? o : c.putObject("process");
                ObjectNode console = process.putObject("consoleSize");
                console.put("height", size.rows());
                console.put("width", size.columns());
                out = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n";
            }
            byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
            OutputFile.write(config, o -> o.write(bytes));
        } catch (IOException | ClassCastException e) {
            throw new FilesystemException("cannot set the terminal size in " + config + ": " + e.getMessage(), e);
        }
    }

    /** The runtime's process has started: resizes asked for until now are applied from now on. */
    void started(Process p) {
        process = p;
        if (pending.get() != null) {
            startFollower();
        }
    }

    /** The container's terminal is to have {@code size} (the latest of several resizes wins). */
    void resize(TerminalSize size) {
        if (runtime.followsTerminalSize()) {
            return;
        }
        pending.set(size);
        wake.release();
        if (process != null) {
            startFollower();
        }
    }

    /** One thread per container, from its first resize on: a run whose terminal keeps its size costs nothing. */
    private synchronized void startFollower() {
        if (follower == null) {
            follower = new Thread(this::follow, "krgo-terminal-" + id);
            follower.setDaemon(true);
            follower.start();
        }
    }

    private void follow() {
        long pid = 0;
        int attempts = 0;
        try {
            while (process.isAlive()) {
                TerminalSize size = pending.get();
                if (size == null) {
                    wake.tryAcquire(1, TimeUnit.SECONDS);
                    continue;
                }
                if (pid <= 0) {
                    pid = runtime.pid(id);
                }
                if (pid > 0 && apply(pid, size)) {
                    pending.compareAndSet(size, null); // a newer size stays pending
                    attempts = 0;
                } else if (++attempts >= APPLY_ATTEMPTS) {
                    pending.compareAndSet(size, null); // the container is gone or has no terminal any more
                    attempts = 0;
                } else {
                    Thread.sleep(RETRY_MILLIS); // not created yet, or its terminal not set up yet
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sets the size on the first of standard input, output and error of {@code pid} that is a pseudo-terminal. */
    private static boolean apply(long pid, TerminalSize size) {
        for (int fd = 0; fd <= 2; fd++) {
            if (TerminalSize.setPseudoTerminal(Path.of("/proc/" + pid + "/fd/" + fd), size)) {
                return true;
            }
        }
        return false;
    }
}
