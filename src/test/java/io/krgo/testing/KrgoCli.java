package io.krgo.testing;

import io.krgo.cli.Main;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The krgo CLI ({@link Main}) for tests, run one of two ways:
 * <ul>
 *   <li>in a child JVM with the test's class path ({@link #run(Path, Map, String, String...)},
 *       {@link #javaCommand}): its own environment (HOME, content store, no machine auth files), its real exit
 *       code, and a process a test can signal;</li>
 *   <li>in this JVM ({@link #runInProcess}, {@link #inProcessWithStore}): fast, with system properties set
 *       for the run ({@code user.home}, {@code krgo.cache}) and standard streams captured.</li>
 * </ul>
 */
public final class KrgoCli {
    /** What a run printed and returned. */
    public record Result(int exitCode, byte[] stdoutBytes, String stderr) {
        public String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        public String output() {
            return stdout() + stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout() + "--- stderr\n" + stderr;
        }
    }

    private final Map<String, String> properties;

    private KrgoCli(Map<String, String> properties) {
        this.properties = properties;
    }

    /** Runs in this JVM with {@code cache} as the content store ({@code krgo.cache}). */
    public static KrgoCli inProcessWithStore(Path cache) {
        return new KrgoCli(Map.of("krgo.cache", cache.toString()));
    }

    /** {@code krgo args...} in this JVM, with no standard input. */
    public Result run(String... args) {
        return runWithStdin("", args);
    }

    public Result runWithStdin(String stdin, String... args) {
        return runInProcess(properties, stdin, args);
    }

    /** {@code krgo args...} in this JVM with {@code home} as {@code user.home} (its Docker config, its store). */
    public static Result runInProcess(Path home, String stdin, String... args) {
        return runInProcess(Map.of("user.home", home.toString()), stdin, args);
    }

    /**
     * Runs {@code krgo args...} in this JVM with the given system properties set for the run (e.g.
     * {@code user.home}, {@code krgo.cache}) and {@code stdin} as standard input. Serialised: it swaps the
     * JVM-wide standard streams.
     */
    public static Result runInProcess(Map<String, String> properties, String stdin, String... args) {
        synchronized (KrgoCli.class) {
            PrintStream oldOut = System.out;
            PrintStream oldErr = System.err;
            InputStream oldIn = System.in;
            Map<String, String> old = new HashMap<>();
            properties.keySet().forEach(k -> old.put(k, System.getProperty(k)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
                properties.forEach(System::setProperty);
                int code = Main.run(args);
                System.out.flush();
                System.err.flush();
                return new Result(code, out.toByteArray(), withoutAgentNoise(err.toString(StandardCharsets.UTF_8)));
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
                System.setIn(oldIn);
                old.forEach((k, v) -> {
                    if (v == null) {
                        System.clearProperty(k);
                    } else {
                        System.setProperty(k, v);
                    }
                });
            }
        }
    }

    /**
     * Once a Jazzer fuzz test has run in this JVM, its agent logs every class it instruments to System.err,
     * which is krgo's captured stderr while a class loads during a run; those lines are not krgo's.
     */
    private static String withoutAgentNoise(String err) {
        return err.lines().filter(l -> !l.startsWith("INFO: Instrumented ")).map(l -> l + "\n")
                .collect(Collectors.joining());
    }

    /**
     * {@code krgo args...} in a child JVM.
     *
     * @param home becomes HOME (no Docker config there unless the test writes one) and holds the content
     *             store in {@code home/cache}
     */
    public static Result run(Path home, String stdin, String... args) {
        return run(home, Map.of(), stdin, args);
    }

    /** The same with extra environment variables (they win over the defaults above). */
    public static Result run(Path home, Map<String, String> extraEnv, String stdin, String... args) {
        ProcessBuilder pb = new ProcessBuilder(javaCommand(List.of("-Duser.home=" + home), Main.class, args));
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
            Result r = new Result(p.exitValue(), Files.readAllBytes(out), Files.readString(err));
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
        return javaCommand(List.of(), Main.class, args);
    }

    /**
     * The command line that starts {@code main} (krgo's or a test's child program) in a new JVM with the test
     * class path and {@code jvmOptions}.
     */
    public static List<String> javaCommand(List<String> jvmOptions, Class<?> main, String... args) {
        return javaCommand(System.getProperty("java.class.path"), jvmOptions, main, args);
    }

    /** The same with another class path (e.g. a copy another user can read). */
    public static List<String> javaCommand(String classPath, List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // As the jar's manifest grants it to the launcher: without it JDK 22+ warns on stderr when JNA loads.
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(main.getName());
        command.addAll(List.of(args));
        return command;
    }
}
