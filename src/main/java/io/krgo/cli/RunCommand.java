package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.RunRequest;
import io.krgo.error.UsageException;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.Credentials;
import io.krgo.registry.RegistryOptions;
import io.krgo.runtime.Container;
import io.krgo.runtime.StateDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

    @Option(names = "--help", usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    RunFlags run;

    @Mixin
    TrustFlags trustFlags; // checked when run pulls, as podman does; an image already unpacked is not checked again

    @Parameters(paramLabel = "IMAGE [ARG]", arity = "0..*",
            description = "The image (unless -r), then the arguments replacing its Cmd.")
    List<String> positional = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (run.tty) {
            throw new UsageException("run -t is not supported yet (a terminal needs runc's console socket); run"
                    + " without -t, or use krgo config -t with runc directly");
        }
        List<String> args = new ArrayList<>(positional);
        Reference image = null;
        if (rootfs == null) {
            if (args.isEmpty()) {
                throw new UsageException("run needs an IMAGE or -r DIR");
            }
            image = Reference.parse(args.remove(0));
        }
        RunRequest.PullPolicy policy = switch (pull.toLowerCase(Locale.ROOT)) {
            case "missing" -> RunRequest.PullPolicy.MISSING;
            case "always" -> RunRequest.PullPolicy.ALWAYS;
            case "never" -> RunRequest.PullPolicy.NEVER;
            default -> throw new UsageException("--pull must be missing, always or never, not '" + pull + "'");
        };
        RegistryOptions registry = RegistryOptions.defaults().withInsecure(insecure)
                .withCredentials(creds == null ? null : Credentials.parseUserColonPassword(
                        creds.contains(":") ? creds : creds + ":" + RegistryFlags.readPasswordLine(System.in)));
        RunRequest request = new RunRequest(image, rootfs, platform == null ? Platform.host() : Platform.parse(platform),
                policy, registry, run.toOptions(args), runtime);
        Output out = Output.forStdout(true);
        Container c;
        try (Krgo krgo = Krgo.withDefaults().withTrust(trustFlags.trust())) {
            c = krgo.createContainer(request, StateDir.fromEnvironment(System.getenv()),
                    io.krgo.rootfs.ProgressListener.NONE, out::warn);
        }
        try {
            forwardSignals(c, Duration.ofSeconds(stopTimeout));
            c.start(interactive);
            return c.waitFor();
        } finally {
            if (rm) {
                c.remove();
            }
        }
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
