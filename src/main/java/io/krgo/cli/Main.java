package io.krgo.cli;

import picocli.CommandLine;

/** Entry point of the {@code krgo} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args);
        System.out.flush();
        System.err.flush();
        // halt: the JDK 17 HttpClient's selector thread otherwise delays exit by ~0.3 s.
        Runtime.getRuntime().halt(code);
    }

    /** Runs krgo with {@code args} and returns the exit code (used by tests to run the CLI in-process). */
    public static int run(String... args) {
        CommandLine cmd = newCommandLine();
        return cmd.execute(args);
    }

    static CommandLine newCommandLine() {
        CommandLine cmd = new CommandLine(new KrgoCommand());
        cmd.setExecutionExceptionHandler(ExitCodes::handleExecutionException);
        cmd.setParameterExceptionHandler(ExitCodes::handleParameterException);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }
}
