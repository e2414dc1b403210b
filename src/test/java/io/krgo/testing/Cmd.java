package io.krgo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external tool for tests; a missing tool fails the test with how to install it. */
public final class Cmd {
    private Cmd() {
    }

    /** Fails unless {@code binary} is on PATH; the message says which Debian package provides it. */
    public static void require(String binary, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, binary))) {
                return;
            }
        }
        throw new AssertionError(binary + " is not installed; install it with: apt-get install " + debianPackage);
    }

    /** Runs the command, returns stdout+stderr; fails on a non-zero exit or after 120 s. */
    public static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (" + p.exitValue() + "):\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
