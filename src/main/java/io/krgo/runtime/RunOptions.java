package io.krgo.runtime;

import io.krgo.error.UsageException;

import java.nio.file.Path;
import java.util.List;

/**
 * What a user may change of the image's process and of the container's confinement, with docker's flags'
 * meanings ({@code docker run}'s {@code -e}, {@code --env-file}, {@code -w}, {@code -u}, {@code --entrypoint},
 * trailing arguments, {@code --cap-add}, {@code --cap-drop}, {@code --security-opt seccomp=},
 * {@code --network}, {@code -v}, {@code --read-only}, {@code --hostname}).
 *
 * @param env        {@code KEY=VALUE} overrides, or {@code KEY} to take the variable from krgo's environment
 *                   (left out when unset there), applied after the env files
 * @param envFiles   files of {@code KEY=VALUE} lines ({@code #} comments and blank lines ignored), in order
 * @param workdir    the working directory instead of the image's, or null
 * @param user       the user instead of the image's, in any form of {@link UserResolver}, or null
 * @param entrypoint replaces the image's Entrypoint and clears its Cmd; "" clears both; null keeps them
 * @param args       replace the image's Cmd when not empty
 * @param capAdd     capabilities added to docker's default set ({@code ALL} for every one)
 * @param capDrop    capabilities removed from it ({@code ALL} for every one)
 * @param seccomp    null for the default profile, {@code unconfined}, or a profile file (containers' or
 *                   runtime-spec format)
 * @param network    host (default) or none
 * @param volumes    bind mounts
 * @param readOnly   a read-only root file system
 * @param hostname   the container's host name, or null for the default (the host's with the host network,
 *                   else the container's name)
 * @param name       the container's name (hostname with {@code --network none}, LXC's {@code lxc.uts.name})
 * @param terminal   the process gets a terminal ({@code -t})
 */
public record RunOptions(List<String> env, List<Path> envFiles, String workdir, String user, String entrypoint,
                         List<String> args, List<String> capAdd, List<String> capDrop, String seccomp,
                         Network network, List<Volume> volumes, boolean readOnly, String hostname, String name,
                         boolean terminal) {

    /** The container's network: the host's (krgo has no network stack of its own), or none but loopback. */
    public enum Network { HOST, NONE }

    /** A bind mount: {@code -v HOST:CONTAINER[:ro]}. */
    public record Volume(Path host, String container, boolean readOnly) {
        public Volume {
            if (!container.startsWith("/")) {
                throw new UsageException("volume target '" + container + "' must be an absolute path");
            }
        }

        /** Parses {@code HOST:CONTAINER[:ro|rw]}; HOST must be an absolute or ./relative path (no named volumes). */
        public static Volume parse(String spec) {
            String[] p = spec.split(":", -1);
            if (p.length < 2 || p.length > 3 || p[0].isEmpty() || p[1].isEmpty()) {
                throw new UsageException("volume '" + spec + "': expected HOST:CONTAINER[:ro]");
            }
            boolean ro = false;
            if (p.length == 3) {
                if (!p[2].equals("ro") && !p[2].equals("rw")) {
                    throw new UsageException("volume '" + spec + "': option must be ro or rw");
                }
                ro = p[2].equals("ro");
            }
            if (!p[0].startsWith("/") && !p[0].startsWith(".")) {
                throw new UsageException("volume '" + spec + "': named volumes are not supported; give a host path"
                        + " (absolute, or starting with ./)");
            }
            return new Volume(Path.of(p[0]).toAbsolutePath().normalize(), p[1], ro);
        }
    }

    public RunOptions {
        env = List.copyOf(env);
        envFiles = List.copyOf(envFiles);
        args = List.copyOf(args);
        capAdd = List.copyOf(capAdd);
        capDrop = List.copyOf(capDrop);
        volumes = List.copyOf(volumes);
        if (network == null) {
            network = Network.HOST;
        }
        if (name == null || name.isBlank()) {
            name = "krgo";
        }
    }

    /** The image's process and docker's defaults, unchanged. */
    public static RunOptions defaults() {
        return new RunOptions(List.of(), List.of(), null, null, null, List.of(), List.of(), List.of(), null,
                Network.HOST, List.of(), false, null, null, false);
    }

    public RunOptions withName(String newName) {
        return new RunOptions(env, envFiles, workdir, user, entrypoint, args, capAdd, capDrop, seccomp, network,
                volumes, readOnly, hostname, newName, terminal);
    }

    public RunOptions withArgs(List<String> newArgs) {
        return new RunOptions(env, envFiles, workdir, user, entrypoint, newArgs, capAdd, capDrop, seccomp, network,
                volumes, readOnly, hostname, name, terminal);
    }
}
