package io.krgo.cli;

import io.krgo.testing.Tools;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /** The command line that starts krgo in a new JVM (the test class path holds krgo and its dependencies). */
    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs krgo in a new JVM with HOME={@code home}, the extra environment and {@code stdin}. */
    static Run runProcess(Path home, Map<String, String> env, String stdin, String... args) {
        try {
            Path in = Files.createTempFile("krgo-stdin", ".txt");
            Files.writeString(in, stdin == null ? "" : stdin);
            Path out = Files.createTempFile("krgo-out", ".txt");
            Path err = Files.createTempFile("krgo-err", ".txt");
            try {
                List<String> cmd = new ArrayList<>(javaCommand());
                cmd.add(3, "-Duser.home=" + home);
                cmd.addAll(List.of(args));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(in.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().remove("DOCKER_CONFIG");
                pb.environment().remove("KRGO_CACHE");
                pb.environment().remove("XDG_CACHE_HOME");
                pb.environment().put("HOME", home.toString());
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("krgo " + String.join(" ", args) + " did not finish within 60 s");
                }
                return new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Fails the test naming the package when a program is missing. */
    static Path require(String program, String debianPackage) {
        return Tools.require(program, debianPackage);
    }
}
