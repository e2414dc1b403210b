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
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V") || args[0].equals("version"))) {
            // Answered without building the picocli model: its annotation scanning is most of start-up.
            for (String line : new VersionProvider().getVersion()) {
                System.out.println(line);
            }
            return ExitCodes.OK;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            String help = HelpText.prerendered(); // rendered by picocli at build time; same bytes, ~0.1 s sooner
            if (help != null) {
                System.out.print(help);
                System.out.flush();
                return ExitCodes.OK;
            }
        }
        // The launcher runs the JVM with C1 only (less JIT work); hashing then needs OpenSSL's SHA code.
        io.krgo.image.NativeDigests.install();
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
