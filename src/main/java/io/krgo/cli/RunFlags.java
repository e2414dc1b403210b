package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.runtime.RunOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The container options {@code config} (and later {@code run}) share, with docker's names and meanings. */
final class RunFlags {
    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]",
            description = "Set an environment variable (KEY alone: take it from krgo's environment). Repeatable.")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE",
            description = "Read KEY=VALUE lines (# comments) from FILE, before -e. Repeatable.")
    List<Path> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the container.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]",
            description = "User (name or uid, optional :group or :gid), resolved in the rootfs's /etc/passwd and /etc/group.")
    String user;

    @Option(names = "--entrypoint", paramLabel = "CMD",
            description = "Replace the image's Entrypoint (and clear its Cmd); \"\" clears both.")
    String entrypoint;

    @Option(names = {"-v", "--volume"}, paramLabel = "HOST:CONTAINER[:ro]",
            description = "Bind-mount a host path (absolute or ./relative). Repeatable.")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--network", paramLabel = "host|none", defaultValue = "host",
            description = "host: the host's network (krgo has no network stack of its own); none: loopback only"
                    + " (default: ${DEFAULT-VALUE}).")
    String network;

    @Option(names = "--read-only", description = "Mount the container's root file system read-only.")
    boolean readOnly;

    @Option(names = "--cap-add", paramLabel = "CAP", description = "Add a capability to docker's default set (ALL: every one). Repeatable.")
    List<String> capAdd = new ArrayList<>();

    @Option(names = "--cap-drop", paramLabel = "CAP", description = "Drop a capability from docker's default set (ALL: every one). Repeatable.")
    List<String> capDrop = new ArrayList<>();

    @Option(names = "--security-opt", paramLabel = "seccomp=unconfined|FILE",
            description = "seccomp=unconfined: no seccomp filter; seccomp=FILE: this profile instead of"
                    + " /usr/share/containers/seccomp.json.")
    List<String> securityOpts = new ArrayList<>();

    @Option(names = {"-h", "--hostname"}, paramLabel = "NAME",
            description = "Host name of the container (default: the host's with --network host, else --name).")
    String hostname;

    @Option(names = "--name", paramLabel = "NAME", description = "Name of the container (default: krgo).")
    String name;

    @Option(names = {"-t", "--tty"}, description = "Give the process a terminal (process.terminal in config.json).")
    boolean tty;

    RunOptions toOptions(List<String> args) {
        String seccomp = null;
        for (String s : securityOpts) {
            if (!s.startsWith("seccomp=") && !s.startsWith("seccomp:")) {
                throw new UsageException("unsupported --security-opt '" + s + "'; only seccomp=unconfined|FILE");
            }
            seccomp = s.substring("seccomp=".length());
            if (seccomp.isEmpty()) {
                throw new UsageException("--security-opt seccomp= needs unconfined or a file");
            }
        }
        RunOptions.Network net = switch (network.toLowerCase(Locale.ROOT)) {
            case "host" -> RunOptions.Network.HOST;
            case "none" -> RunOptions.Network.NONE;
            default -> throw new UsageException("--network must be host or none, not '" + network + "'");
        };
        List<RunOptions.Volume> vols = new ArrayList<>();
        volumes.forEach(v -> vols.add(RunOptions.Volume.parse(v)));
        return new RunOptions(env, envFiles, workdir, user, entrypoint, args == null ? List.of() : args, capAdd,
                capDrop, seccomp, net, vols, readOnly, hostname, name, tty);
    }
}
