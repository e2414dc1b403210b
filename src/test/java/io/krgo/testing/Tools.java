package io.krgo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs external programs for tests; a missing program or a failure fails the test with a clear message. */
public final class Tools {
    private Tools() {
    }

    /** The result of a finished command. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** Fails (never skips) when {@code program} is missing, naming the Debian package to install. */
    public static Path require(String program, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new AssertionError(program + " is required by this test but not installed: "
                + "apt-get install -y " + debianPackage);
    }

    /**
     * Runs {@code cmd} after {@link #require}-ing its program (Debian package named after it, coreutils for
     * mknod/mkfifo); fails the test when it is missing or exits non-zero. Returns stdout.
     */
    public static String run(String... cmd) {
        require(cmd[0], switch (cmd[0]) {
            case "mknod", "mkfifo" -> "coreutils";
            default -> cmd[0];
        });
        return run(List.of(cmd));
    }

    /** Runs a command, failing the test with its stderr when it exits non-zero. */
    public static String run(List<String> command) {
        Result r = runAllowingFailure(command, Map.of());
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (exit " + r.exitCode() + "): " + r.stderr());
        }
        return r.stdout();
    }

    public static Result runAllowingFailure(List<String> command, Map<String, String> extraEnv) {
        try {
            Path out = Files.createTempFile("krgo-cmd", ".out");
            Path err = Files.createTempFile("krgo-cmd", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(extraEnv);
                Process p = pb.start();
                p.getOutputStream().close();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command.get(0), e);
        }
    }

    /** Deletes a directory tree; best effort (used when closing harnesses). */
    public static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            });
        } catch (IOException ignored) {
            // same
        }
    }
}
