package io.krgo.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A server the tests start as a child process (docker-registry, tinyproxy): waits until it is ready and stops
 * it, also when the test JVM exits without closing its harness.
 */
final class ServerProcess {
    /** One readiness check; an IOException means "not yet". */
    interface Probe {
        boolean ready() throws IOException, InterruptedException;
    }

    private final String name;
    private final Process process;
    private final Thread shutdownHook;

    ServerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.shutdownHook = new Thread(process::destroyForcibly, name + "-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A probe that is ready once {@code host:port} accepts a TCP connection. */
    static Probe listening(String host, int port) {
        return () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                return true;
            }
        };
    }

    /**
     * Polls {@code probe} until it is ready. When the process exits first or {@code within} passes, calls
     * {@code close} (the harness's own, which stops this process and deletes its files) and fails with
     * {@code log}, read before {@code close} deletes it.
     *
     * @param condition what ready means, for the message: "listen", "answer /v2/"
     */
    void awaitReady(String condition, Duration within, Probe probe, Supplier<String> log, Runnable close) {
        long deadline = System.nanoTime() + within.toNanos();
        String failure = "did not " + condition + " within " + within.toSeconds() + " s";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                failure = "exited at start";
                break;
            }
            try {
                if (isReady(probe)) {
                    return;
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String output = log.get();
        close.run();
        throw new AssertionError(name + " " + failure + ": " + output);
    }

    private static boolean isReady(Probe probe) throws InterruptedException {
        try {
            return probe.ready();
        } catch (IOException notYet) {
            return false;
        }
    }

    /** Stops the process: SIGTERM, then SIGKILL after 5 s. */
    void stop() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs anyway
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
