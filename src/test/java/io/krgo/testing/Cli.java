package io.krgo.testing;

import io.krgo.cli.Main;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Runs the krgo CLI in-process with captured output, standard input and its own content store. */
public final class Cli {
    /** What a run printed and returned. */
    public record Result(int exitCode, byte[] stdout, String err) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out() + "--- stderr\n" + err;
        }
    }

    private final Path cache;

    /** @param cache the content store directory the runs use ({@code krgo.cache}) */
    public Cli(Path cache) {
        this.cache = cache;
    }

    public Result run(String... args) {
        return runWithStdin("", args);
    }

    public Result runWithStdin(String stdin, String... args) {
        return runInProcess(Map.of("krgo.cache", cache.toString()), stdin, args);
    }

    /**
     * Runs {@code krgo args...} in this JVM with the given system properties set for the run (e.g.
     * {@code user.home}, {@code krgo.cache}) and {@code stdin} as standard input. Serialised: it swaps the
     * JVM-wide standard streams.
     */
    public static Result runInProcess(Map<String, String> properties, String stdin, String... args) {
        synchronized (Cli.class) {
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
}
