package io.krgo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the krgo CLI ({@code io.krgo.cli.Main}) in a child JVM with the test's class path, so each run has
 * its own environment (content store, HOME for Docker credentials) and its real exit code and output.
 */
public final class KrgoCli {
    /** What a run printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        public String output() {
            return stdout + stderr;
        }
    }

    private KrgoCli() {
    }

    /**
     * @param home becomes HOME (no Docker config there unless the test writes one) and holds the content
     *             store in {@code home/cache}
     */
    public static Result run(Path home, String stdin, String... args) {
        return run(home, Map.of(), stdin, args);
    }

    /** The same with extra environment variables (they win over the defaults above). */
    public static Result run(Path home, Map<String, String> extraEnv, String stdin, String... args) {
        List<String> command = javaCommand(args);
        command.add(1, "-Duser.home=" + home);
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.remove("DOCKER_CONFIG");
        env.remove("XDG_CACHE_HOME");
        // The machine's own auth files are never read (without XDG_RUNTIME_DIR, /run/containers/UID would be).
        env.remove("REGISTRY_AUTH_FILE");
        env.remove("XDG_CONFIG_HOME");
        env.put("XDG_RUNTIME_DIR", home.resolve("run-user").toString());
        env.put("HOME", home.toString());
        env.put("KRGO_CACHE", home.resolve("cache").toString());
        env.putAll(extraEnv);
        try {
            Path out = Files.createTempFile("krgo-stdout", ".txt");
            Path err = Files.createTempFile("krgo-stderr", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("krgo " + String.join(" ", args) + " did not finish within 120 s");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot run the krgo CLI: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** The command line that starts the krgo CLI in a new JVM with the test class path. */
    public static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // As the jar's manifest grants it to the launcher: without it JDK 22+ warns on stderr when JNA loads.
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.krgo.cli.Main");
        command.addAll(List.of(args));
        return command;
    }
}
