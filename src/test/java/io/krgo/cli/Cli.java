package io.krgo.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the krgo CLI for tests: in-process through {@link Main#run} with standard streams captured and
 * {@code user.home} pointing at a test home (so the blob cache and Docker config are the test's own), or
 * as a separate JVM with a chosen environment.
 */
final class Cli {
    private Cli() {
    }

    /** The outcome of one krgo run. */
    record Run(int code, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + code + "\nstdout: " + out() + "\nstderr: " + stderr;
        }
    }

    /** Runs {@code krgo ARGS} in this JVM with {@code home} as the user's home and {@code stdin} as input. */
    static Run run(Path home, String stdin, String... args) {
        io.krgo.testing.Cli.Result r = io.krgo.testing.Cli.runInProcess(
                java.util.Map.of("user.home", home.toString()), stdin, args);
        return new Run(r.exitCode(), r.stdout(), r.err());
    }

    /** Runs krgo in a new JVM with HOME={@code home}, the extra environment and {@code stdin}. */
    static Run runProcess(Path home, Map<String, String> env, String stdin, String... args) {
        io.krgo.testing.KrgoCli.Result r = io.krgo.testing.KrgoCli.run(home, env, stdin, args);
        return new Run(r.exitCode(), r.stdout().getBytes(StandardCharsets.UTF_8), r.stderr());
    }
}
