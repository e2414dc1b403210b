package io.krgo.cli;

import io.krgo.sys.NativeDigests;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

/** Entry point of the {@code krgo} command. */
public final class Main {
    private static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

    private Main() {
    }

    public static void main(String[] args) {
        String training = System.getProperty(CdsTrainingStart.PROPERTY);
        if (training != null) {
            CdsTrainingStart.run(training); // the build's, see there; the JVM then exits normally and dumps
            return;
        }
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
        if (System.getProperty(CONVERTER_EXCLUDES) == null) {
            // picocli's own switch: no option of krgo has a java.time or java.sql type, and registering those
            // converters initialises java.time's formatters (~15 ms of every start).
            System.setProperty(CONVERTER_EXCLUDES, "java\\.time\\..*,java\\.sql\\..*");
        }
        if (args.length > 0 && args[0].equals("run")) {
            io.krgo.runtime.RunWarmUp.start(); // the runtime's classes, on the second core, while this one parses
            RunCommandLine.Parsed parsed = RunCommandLine.parse(args, 1);
            if (parsed != null) {
                return RunCommandLine.execute(parsed); // without picocli's model: see RunCommandLine
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
        NativeDigests.install();
    }

    /** Each subcommand's name, in the order help lists them (the build's class-data-sharing training asks each for help). */
    public static List<String> subcommandNames() {
        List<String> names = new ArrayList<>();
        for (Subcommand s : SUBCOMMANDS) {
            names.add(s.names().get(0));
        }
        return names;
    }

    /** A subcommand: its name and aliases, as its {@code @Command} says (a test checks). */
    record Subcommand(List<String> names) {
        /** A new instance of the command (a switch, not method references: each of those costs linking at start). */
        Object create() {
            return switch (names.get(0)) {
                case "pull" -> new PullCommand();
                case "commit" -> new CommitCommand();
                case "push" -> new PushCommand();
                case "config" -> new ConfigCommand();
                case "run" -> new RunCommand();
                case "ps" -> new ContainerCommands.Ps();
                case "stop" -> new ContainerCommands.Stop();
                case "rm" -> new ContainerCommands.Rm();
                case "prune" -> new ContainerCommands.Prune();
                case "inspect" -> new InspectCommand();
                case "digest" -> new DigestCommand();
                case "tags" -> new TagsCommand();
                case "copy" -> new CopyCommand();
                case "export" -> new ExportCommand();
                case "verify" -> new VerifyCommand();
                case "login" -> new LoginCommand();
                case "logout" -> new LogoutCommand();
                case "completion" -> new CompletionCommand();
                case "version" -> new VersionCommand();
                case "help" -> new CommandLine.HelpCommand();
                default -> throw new IllegalStateException("no subcommand " + names.get(0));
            };
        }
    }

    /** Every subcommand, in the order help lists them. */
    static final List<Subcommand> SUBCOMMANDS = List.of(
            new Subcommand(List.of("pull")),
            new Subcommand(List.of("commit")),
            new Subcommand(List.of("push")),
            new Subcommand(List.of("config")),
            new Subcommand(List.of("run")),
            new Subcommand(List.of("ps")),
            new Subcommand(List.of("stop")),
            new Subcommand(List.of("rm")),
            new Subcommand(List.of("prune")),
            new Subcommand(List.of("inspect")),
            new Subcommand(List.of("digest")),
            new Subcommand(List.of("tags")),
            new Subcommand(List.of("copy", "cp")),
            new Subcommand(List.of("export")),
            new Subcommand(List.of("verify")),
            new Subcommand(List.of("login")),
            new Subcommand(List.of("logout")),
            new Subcommand(List.of("completion")),
            new Subcommand(List.of("version")),
            new Subcommand(List.of("help")));

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
        Subcommand only = null;
        if (first != null && !first.equals("help") && !first.equals("completion")) {
            for (Subcommand s : SUBCOMMANDS) {
                if (s.names().contains(first)) {
                    only = s;
                }
            }
        }
        for (Subcommand s : SUBCOMMANDS) {
            if (only == null || s == only) {
                cmd.addSubcommand(s.create());
            }
        }
        CommandLine run = cmd.getSubcommands().get("run");
        if (run != null) {
            run.setStopAtPositional(true); // as docker run: what follows IMAGE is the container's command line
        }
        cmd.setExecutionExceptionHandler(ExitCodes::handleExecutionException);
        cmd.setParameterExceptionHandler(ExitCodes::handleParameterException);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }
}
