package io.krgo.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code krgo run}'s command line read without picocli's model, for the common case: picocli builds its model
 * by reflection (annotations, one generated proxy class per annotation type), ~0.1 s of a hot run's ~0.3 s of
 * krgo's own time, while the parse itself is trivial. This reader takes only lines it understands completely:
 * the options of {@link RunCommand} as separate tokens ({@code --name x}, {@code --name=x}, {@code -e X}), and
 * clusters of its one-letter switches ({@code -it}); anything else (help, an unknown or repeated option, a
 * value attached to a one-letter option or starting with {@code -}, a number that is not one) returns null,
 * and picocli parses the line, with its own messages. {@code RunCommandLineTest} checks that the options here
 * are exactly picocli's (names, arity, defaults) and that both give the same fields on a corpus of lines.
 */
final class RunCommandLine {
    /** How an option takes its value. */
    enum Kind { SWITCH, VALUE, REPEATABLE }

    /** An option: its long name, its one-letter name or null, how it takes its value. */
    private record Option(String name, String letter, Kind kind) {
    }

    /** Every option of {@code run} (and the top level's {@code --debug}) but {@code --help}. */
    private static final List<Option> TABLE = List.of(
            new Option("--debug", null, Kind.SWITCH),
            new Option("--rootfs", "-r", Kind.VALUE),
            new Option("--rm", null, Kind.SWITCH),
            new Option("--interactive", "-i", Kind.SWITCH),
            new Option("--pull", null, Kind.VALUE),
            new Option("--platform", null, Kind.VALUE),
            new Option("--creds", null, Kind.VALUE),
            new Option("--insecure", null, Kind.SWITCH),
            new Option("--runtime", null, Kind.VALUE),
            new Option("--stop-timeout", null, Kind.VALUE),
            new Option("--json", null, Kind.SWITCH),
            new Option("--json-file", null, Kind.VALUE),
            new Option("--env", "-e", Kind.REPEATABLE),
            new Option("--env-file", null, Kind.REPEATABLE),
            new Option("--workdir", "-w", Kind.VALUE),
            new Option("--user", "-u", Kind.VALUE),
            new Option("--entrypoint", null, Kind.VALUE),
            new Option("--volume", "-v", Kind.REPEATABLE),
            new Option("--network", null, Kind.VALUE),
            new Option("--read-only", null, Kind.SWITCH),
            new Option("--cap-add", null, Kind.REPEATABLE),
            new Option("--cap-drop", null, Kind.REPEATABLE),
            new Option("--security-opt", null, Kind.REPEATABLE),
            new Option("--hostname", "-h", Kind.VALUE),
            new Option("--name", null, Kind.VALUE),
            new Option("--tty", "-t", Kind.SWITCH),
            new Option("--retries", null, Kind.VALUE),
            new Option("--timeout", null, Kind.VALUE),
            new Option("--ca-file", null, Kind.REPEATABLE),
            new Option("--cert", null, Kind.VALUE),
            new Option("--key", null, Kind.VALUE),
            new Option("--policy", null, Kind.VALUE),
            new Option("--registries.d", null, Kind.VALUE));

    /** Each name of {@link #TABLE} (long and one-letter) with its kind. */
    static final Map<String, Kind> OPTIONS;
    /** One-letter name → long name. */
    private static final Map<String, String> LONG_NAMES;

    static {
        Map<String, Kind> kinds = new HashMap<>();
        Map<String, String> longNames = new HashMap<>();
        for (Option o : TABLE) {
            kinds.put(o.name(), o.kind());
            if (o.letter() != null) {
                kinds.put(o.letter(), o.kind());
                longNames.put(o.letter(), o.name());
            }
        }
        OPTIONS = Map.copyOf(kinds);
        LONG_NAMES = Map.copyOf(longNames);
    }

    /** What was read: the command, ready to call, and whether {@code --debug} was given. */
    record Parsed(RunCommand command, boolean debug) {
    }

    private RunCommandLine() {
    }

    /** {@code args} without the leading {@code run}; null when picocli must read the line. */
    static Parsed parse(String[] args, int from) {
        RunCommand c = newCommand();
        Set<String> seen = new HashSet<>();
        boolean debug = false;
        int i = from;
        while (i < args.length) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                break; // IMAGE: what follows is the container's command line, options included
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            Kind kind = OPTIONS.get(name);
            if (kind == null) {
                if (!a.startsWith("--") && a.length() > 2 && cluster(c, a, seen)) {
                    i++;
                    continue;
                }
                return null; // unknown, or a value attached to a one-letter option: picocli's to judge
            }
            if (kind != Kind.REPEATABLE && !seen.add(canonical(name))) {
                return null; // given twice: picocli says so
            }
            if (kind == Kind.SWITCH) {
                if (value != null) {
                    return null;
                }
                debug |= name.equals("--debug");
                set(c, name, null);
                i++;
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    return null;
                }
                value = args[++i];
            }
            if (value.startsWith("-")) {
                return null; // an option where a value belongs, or a value that looks like one
            }
            try {
                set(c, name, value);
            } catch (IllegalArgumentException e) {
                return null; // not a number, not a path: picocli's message (NumberFormatException, InvalidPathException)
            }
            i++;
        }
        for (; i < args.length; i++) {
            c.positional.add(args[i]);
        }
        return new Parsed(c, debug);
    }

    /** Runs the command as picocli's {@code execute} would: its exit code, failures reported as {@link ExitCodes} does. */
    static int execute(Parsed parsed) {
        java.io.PrintWriter err = new java.io.PrintWriter(System.err, true);
        try {
            return parsed.command().call();
        } catch (Exception e) {
            return ExitCodes.report(e, err, parsed.debug(), true);
        } finally {
            err.flush();
        }
    }

    /** The command with picocli's defaults: mixins made, {@code defaultValue}s set. */
    private static RunCommand newCommand() {
        RunCommand c = new RunCommand();
        c.run = new RunFlags();
        c.trustFlags = new TrustFlags();
        c.pull = "missing";
        c.stopTimeout = 10;
        c.run.network = "host";
        return c;
    }

    /** {@code -it}: one-letter switches together; false when a letter is not a switch (picocli reads it). */
    private static boolean cluster(RunCommand c, String a, Set<String> seen) {
        Set<String> these = new HashSet<>();
        for (int k = 1; k < a.length(); k++) {
            String name = "-" + a.charAt(k);
            if (OPTIONS.get(name) != Kind.SWITCH || seen.contains(canonical(name)) || !these.add(canonical(name))) {
                return false;
            }
        }
        for (int k = 1; k < a.length(); k++) {
            String name = "-" + a.charAt(k);
            seen.add(canonical(name));
            set(c, name, null);
        }
        return true;
    }

    /** The option's long name (so {@code -t --tty} counts as given twice). */
    private static String canonical(String name) {
        return LONG_NAMES.getOrDefault(name, name);
    }

    private static void set(RunCommand c, String name, String v) {
        RunFlags f = c.run;
        NetworkFlags n = c.network;
        switch (canonical(name)) {
            case "--debug" -> DebugLog.enable();
            case "--rootfs" -> c.rootfs = Path.of(v);
            case "--rm" -> c.rm = true;
            case "--interactive" -> c.interactive = true;
            case "--pull" -> c.pull = v;
            case "--platform" -> c.platform = v;
            case "--creds" -> c.creds = v;
            case "--insecure" -> c.insecure = true;
            case "--runtime" -> c.runtime = v;
            case "--stop-timeout" -> c.stopTimeout = Integer.parseInt(v);
            case "--json" -> c.json = true;
            case "--json-file" -> c.jsonFile = Path.of(v);
            case "--env" -> f.env.add(v);
            case "--env-file" -> f.envFiles.add(Path.of(v));
            case "--workdir" -> f.workdir = v;
            case "--user" -> f.user = v;
            case "--entrypoint" -> f.entrypoint = v;
            case "--volume" -> f.volumes.add(v);
            case "--network" -> f.network = v;
            case "--read-only" -> f.readOnly = true;
            case "--cap-add" -> f.capAdd.add(v);
            case "--cap-drop" -> f.capDrop.add(v);
            case "--security-opt" -> f.securityOpts.add(v);
            case "--hostname" -> f.hostname = v;
            case "--name" -> f.name = v;
            case "--tty" -> f.tty = true;
            case "--retries" -> n.retries = Integer.valueOf(v);
            case "--timeout" -> n.timeout = v;
            case "--ca-file" -> n.caFiles.add(Path.of(v));
            case "--cert" -> n.cert = Path.of(v);
            case "--key" -> n.key = Path.of(v);
            case "--policy" -> c.trustFlags.policy = Path.of(v);
            case "--registries.d" -> c.trustFlags.registriesD = Path.of(v);
            default -> throw new IllegalStateException("no field for " + name); // OPTIONS and this switch disagree
        }
    }
}
