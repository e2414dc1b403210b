package io.krgo.cli;

import picocli.CommandLine;

import java.util.List;
import java.util.function.Supplier;

/** Entry point of the {@code krgo} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args);
        System.out.flush();
        System.err.flush();
        endHttpSelectors();
        Runtime.getRuntime().halt(code);
    }

    /**
     * The JVM's exit, halt included, waits up to 0.3 s for threads running native code to stop (measured on
     * JDK 17: 0.3 s of every registry command's wall time). The JDK HttpClient's selector thread is one, in
     * epoll_wait, for as long as its client is reachable; from JDK 21 closing the client ends it, on 17
     * only an interrupt does (its loop runs until interrupted). Called last, when no exchange is left.
     */
    static void endHttpSelectors() {
        ThreadGroup group = Thread.currentThread().getThreadGroup();
        Thread[] threads = new Thread[group.activeCount() + 16];
        int n = group.enumerate(threads);
        for (int i = 0; i < n; i++) {
            String name = threads[i].getName();
            if (name.startsWith("HttpClient-") && name.endsWith("-SelectorManager")) {
                threads[i].interrupt();
            }
        }
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
        CommandLine cmd = newCommandLine(args.length > 0 ? args[0] : null);
        return cmd.execute(args);
    }

    /**
     * For the commands that use git layers: JGit finds SHA-1 through the JCA, and the launcher runs the JVM
     * with C1 only (less JIT work), where the JDK's SHA code is slow; OpenSSL's is not. krgo's own hashing
     * uses libcrypto without this (see {@link io.krgo.image.Digest}). Not for every command: installing a
     * provider makes the JDK load all the others (~50 ms).
     */
    static void installNativeDigests() {
        io.krgo.image.NativeDigests.install();
    }

    /** A subcommand: its name and aliases (as its {@code @Command} says; a test checks) and how to make it. */
    record Subcommand(List<String> names, Supplier<Object> command) {
    }

    /** Every subcommand, in the order help lists them. */
    static final List<Subcommand> SUBCOMMANDS = List.of(
            new Subcommand(List.of("pull"), PullCommand::new),
            new Subcommand(List.of("commit"), CommitCommand::new),
            new Subcommand(List.of("push"), PushCommand::new),
            new Subcommand(List.of("inspect"), InspectCommand::new),
            new Subcommand(List.of("digest"), DigestCommand::new),
            new Subcommand(List.of("tags"), TagsCommand::new),
            new Subcommand(List.of("copy", "cp"), CopyCommand::new),
            new Subcommand(List.of("export"), ExportCommand::new),
            new Subcommand(List.of("login"), LoginCommand::new),
            new Subcommand(List.of("logout"), LogoutCommand::new),
            new Subcommand(List.of("completion"), CompletionCommand::new),
            new Subcommand(List.of("version"), VersionCommand::new),
            new Subcommand(List.of("help"), CommandLine.HelpCommand::new));

    /** The whole command tree. */
    static CommandLine newCommandLine() {
        return newCommandLine(null);
    }

    /**
     * The command tree for a command line whose first argument is {@code first}. picocli builds its model
     * by reflection, ~15 ms per subcommand: when {@code first} names a subcommand, picocli would dispatch to
     * it whatever follows (the top-level command takes no positional parameters), so that subcommand alone
     * is built, and the parse is the one the whole tree gives. Anything else (an option first, a typo,
     * {@code help} and {@code completion}, which read the tree) gets the whole tree.
     */
    static CommandLine newCommandLine(String first) {
        CommandLine cmd = new CommandLine(new KrgoCommand());
        Subcommand only = first == null || first.equals("help") || first.equals("completion") ? null
                : SUBCOMMANDS.stream().filter(s -> s.names().contains(first)).findFirst().orElse(null);
        for (Subcommand s : SUBCOMMANDS) {
            if (only == null || s == only) {
                cmd.addSubcommand(s.command().get());
            }
        }
        cmd.setExecutionExceptionHandler(ExitCodes::handleExecutionException);
        cmd.setParameterExceptionHandler(ExitCodes::handleParameterException);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }
}
