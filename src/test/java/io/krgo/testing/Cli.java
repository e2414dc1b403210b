package io.krgo.testing;

import io.krgo.cli.Main;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs the krgo CLI in-process with captured output, standard input and its own content store. */
public final class Cli {
    /** What a run printed and returned. */
    public record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
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

    /** Runs {@code krgo args...} with {@code stdin} as standard input; synchronized on the class: it swaps System streams. */
    public Result runWithStdin(String stdin, String... args) {
        synchronized (Cli.class) {
            PrintStream oldOut = System.out;
            PrintStream oldErr = System.err;
            InputStream oldIn = System.in;
            String oldCache = System.getProperty("krgo.cache");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
                System.setProperty("krgo.cache", cache.toString());
                int code = Main.run(args);
                return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
                System.setIn(oldIn);
                if (oldCache == null) {
                    System.clearProperty("krgo.cache");
                } else {
                    System.setProperty("krgo.cache", oldCache);
                }
            }
        }
    }
}
