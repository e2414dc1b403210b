package io.krgo.registry;

import io.krgo.error.AuthException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code docker-credential-NAME} program, looked up on the injected environment's {@code PATH} and run
 * with that environment only. Its stderr is discarded and callers put none of its output into messages:
 * it may echo secrets.
 */
final class CredentialHelper {
    /** A finished run: the exit status and the first bytes of standard output. */
    record Result(int exitStatus, byte[] stdout) {
        String text() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private final String program;
    private final Map<String, String> env;

    CredentialHelper(String name, Map<String, String> env) {
        this.program = "docker-credential-" + name;
        this.env = Map.copyOf(env);
    }

    String program() {
        return program;
    }

    /** Runs {@code PROGRAM action} with {@code input} on stdin, keeping at most {@code maxOutput} bytes of stdout. */
    Result run(String action, byte[] input, int maxOutput) {
        Path exe = findOnPath();
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), action);
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            Process p = pb.start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(input);
            }
            byte[] out;
            try (InputStream stdout = p.getInputStream()) {
                out = stdout.readNBytes(maxOutput);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AuthException("credential helper " + program + " did not finish within 30 s");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new AuthException("cannot run credential helper " + program + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuthException("interrupted while running credential helper " + program);
        }
    }

    private Path findOnPath() {
        for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program);
            }
        }
        throw new AuthException("credential helper " + program + " not found on PATH");
    }
}
