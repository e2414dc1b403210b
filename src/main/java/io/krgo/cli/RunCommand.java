package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.RunRequest;
import io.krgo.error.KrgoException;
import io.krgo.error.UsageException;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.Credentials;
import io.krgo.registry.RegistryOptions;
import io.krgo.runtime.Container;
import io.krgo.runtime.StateDir;
import io.krgo.sys.TerminalSize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

@Command(name = "run", addMethodSubcommands = false, mixinStandardHelpOptions = false, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Run IMAGE (pulled and unpacked once, each container on its own overlay), or the rootfs in"
                + " -r DIR in place, under runc or crun, as docker run does. Exits with the container's status;"
                + " 125 when krgo fails, 126/127 when the command cannot be executed or is not found.",
        footer = {"", "Examples:",
                "  krgo run --rm busybox echo hello",
                "  krgo run --rm -e DEBUG=1 -u nobody -w /tmp debian:12 -- sh -c 'id; pwd'",
                "  krgo run -r rootfs --rm                  # a pulled rootfs, in place",
                "  krgo run --name web -v ./site:/srv:ro nginx; krgo stop web; krgo rm web"})
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-r", "--rootfs"}, paramLabel = "DIR", description = "Run this pulled rootfs in place instead of an image.")
    Path rootfs;

    @Option(names = "--rm", description = "Remove the container when it exits (on success, failure and Ctrl-C alike);"
            + " never removes -r DIR.")
    boolean rm;

    @Option(names = {"-i", "--interactive"}, description = "Keep standard input attached (else it is empty).")
    boolean interactive;

    @Option(names = "--pull", paramLabel = "missing|always|never", defaultValue = "missing",
            description = "missing: pull when the image is not unpacked yet (no request otherwise); always; never"
                    + " (default: ${DEFAULT-VALUE}).")
    String pull;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pull (default: this machine's).")
    String platform;

    @Option(names = "--creds", paramLabel = "USER[:PASS]", description = "Registry credentials (else the Docker config).")
    String creds;

    @Option(names = "--insecure", description = "Allow plain HTTP to a registry that is not on this machine.")
    boolean insecure;

    @Option(names = "--runtime", paramLabel = "runc|crun|PATH", description = "OCI runtime (default: runc, then crun, on the PATH).")
    String runtime;

    @Option(names = "--stop-timeout", paramLabel = "S", defaultValue = "10",
            description = "Seconds between the StopSignal and SIGKILL on a second Ctrl-C/SIGTERM (default: ${DEFAULT-VALUE}).")
    int stopTimeout;

    @Option(names = "--json", description = "When krgo ends, print one JSON line on stdout, after a newline of its own"
            + " (unless stdout is a terminal): the exit code, krgo's own code and error, what the runtime cannot honour.")
    boolean json;

    @Option(names = "--json-file", paramLabel = "FILE", description = "Write that JSON line to FILE instead (opened"
            + " before the container starts); stdout stays the container's alone.")
    Path jsonFile;

    @Option(names = "--help", usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    RunFlags run;

    @Mixin
    NetworkFlags network = new NetworkFlags(); // certs.d, proxies, --retries/--timeout, as for pull

    @Mixin
    TrustFlags trustFlags; // checked when run pulls, as podman does; an image already unpacked is not checked again

    @Parameters(paramLabel = "IMAGE [ARG]", arity = "0..*",
            description = "The image (unless -r), then the arguments replacing its Cmd.")
    List<String> positional = new ArrayList<>();

    /** The container once created (for --json). */
    private Container container;

    @Override
    public Integer call() throws Exception {
        Output out = Output.forStdout(true);
        RunJson jsonOut = RunJson.open(json, jsonFile);
        int status;
        try {
            status = runContainer(out);
        } catch (Exception e) {
            if (jsonOut != null) {
                jsonOut.write(failure(e, container, rootfs != null ? rootfs.toString()
                        : positional.isEmpty() ? null : positional.get(0)));
            }
            throw e;
        }
        if (jsonOut != null) {
            jsonOut.write(result(container.record().name(), container.record().image(), status, 0, null,
                    container.notHonoured()));
        }
        return status;
    }

    private int runContainer(Output out) throws Exception {
        if (run.tty && !Terminal.stdinIsTerminal()) {
            // docker's words; runc's own console needs the terminal on krgo's standard input
            throw new UsageException("the input device is not a TTY (run -t needs a terminal on standard input)");
        }
        List<String> args = new ArrayList<>(positional);
        Reference image = null;
        if (rootfs == null) {
            if (args.isEmpty()) {
                throw new UsageException("run needs an IMAGE or -r DIR");
            }
            image = Reference.parse(args.remove(0));
            // stopAtPositional keeps a "--" after IMAGE as an argument: the one right after it is the
            // synopsis's separator; a later one belongs to the container's command (sh -c '...' -- a)
            if (!args.isEmpty() && args.get(0).equals("--")) {
                args.remove(0);
            }
        }
        RunRequest.PullPolicy policy = switch (pull.toLowerCase(Locale.ROOT)) {
            case "missing" -> RunRequest.PullPolicy.MISSING;
            case "always" -> RunRequest.PullPolicy.ALWAYS;
            case "never" -> RunRequest.PullPolicy.NEVER;
            default -> throw new UsageException("--pull must be missing, always or never, not '" + pull + "'");
        };
        RegistryOptions registry = network.apply(RegistryOptions.defaults().withInsecure(insecure)
                .withCredentials(creds == null ? null : Credentials.parseUserColonPassword(
                        creds.contains(":") ? creds : creds + ":" + RegistryFlags.readPasswordLine(System.in))));
        RunRequest request = new RunRequest(image, rootfs, platform == null ? Platform.host() : Platform.parse(platform),
                policy, registry, run.toOptions(args), runtime);
        try (Krgo krgo = Krgo.withDefaults().withTrust(trustFlags.trust())) {
            container = krgo.createContainer(request, StateDir.fromEnvironment(System.getenv()),
                    io.krgo.rootfs.ProgressListener.NONE, out::warn);
        }
        Container c = container;
        try {
            forwardSignals(c, Duration.ofSeconds(stopTimeout));
            TerminalSize size = null;
            if (run.tty) {
                followTerminalSize(c); // first: a resize after the size is read reaches the container too
                size = TerminalSize.of(0).orElse(null);
            }
            c.start(interactive || run.tty, size); // with -t the runtime copies the terminal's input to the container's
            return c.waitFor();
        } finally {
            if (rm) {
                c.remove();
            }
        }
    }

    /**
     * {@code --json}'s line: {@code exitCode} is krgo's (the container's, or 125/126/127 when it did not
     * start), {@code krgoExitCode} the code of krgo's own failure (its usual exit code: 2 not found, 3
     * authentication, ...), 0 when krgo did not fail.
     */
    private static Map<String, Object> result(String name, String image, int exitCode, int krgoExitCode,
                                              Map<String, Object> error, List<String> notHonoured) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("image", image);
        m.put("exitCode", exitCode);
        m.put("krgoExitCode", krgoExitCode);
        m.put("error", error);
        m.put("notHonoured", notHonoured);
        return m;
    }

    private static Map<String, Object> failure(Exception e, Container c, String image) {
        KrgoException k = ExitCodes.map(e);
        Map<String, Object> error = new LinkedHashMap<>();
        int code;
        if (k == null) {
            code = e instanceof InterruptedException ? ExitCodes.INTERRUPTED : ExitCodes.INTERNAL;
            error.put("kind", e instanceof InterruptedException ? "interrupted" : "internal");
            error.put("message", String.valueOf(e.getMessage()));
        } else {
            code = k.exitCode();
            error.put("kind", ExitCodes.kind(k));
            error.put("message", ExitCodes.oneLine(k.getMessage()));
        }
        // as ExitCodes.handleExecutionException decides krgo's exit code
        int exit = k == null || k instanceof io.krgo.error.ExecException ? code : ExitCodes.RUN_FAILED;
        return result(c == null ? null : c.record().name(), image, exit, code, error,
                c == null ? List.of() : c.notHonoured());
    }

    /**
     * {@code -t}: a resize of krgo's terminal (SIGWINCH; the runtime has its own terminal, krgo's standard input)
     * goes to the container's terminal.
     */
    @SuppressWarnings("restriction")
    private static void followTerminalSize(Container c) {
        sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), sig -> TerminalSize.of(0).ifPresent(c::resizeTerminal));
    }

    /**
     * docker's sig-proxy: a signal krgo receives goes to the container unchanged; a second SIGINT or SIGTERM
     * stops it (StopSignal, then SIGKILL after the stop timeout).
     */
    @SuppressWarnings("restriction")
    private static void forwardSignals(Container c, Duration stopTimeout) {
        AtomicInteger stops = new AtomicInteger();
        for (String name : List.of("INT", "TERM", "HUP")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                boolean stopping = !name.equals("HUP") && stops.incrementAndGet() > 1;
                Thread t = new Thread(() -> {
                    if (stopping) {
                        c.stop(stopTimeout);
                    } else {
                        c.signal(name);
                    }
                }, "krgo-signal-" + name);
                t.setDaemon(true);
                t.start();
            });
        }
    }
}
