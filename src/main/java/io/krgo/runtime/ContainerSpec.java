package io.krgo.runtime;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An image config turned into what a container engine needs, independent of the engine's format.
 *
 * @param args        argv: Entrypoint + Cmd after the run options (never empty)
 * @param env         {@code KEY=VALUE}, the image's order with overrides in place and additions after
 * @param cwd         the working directory (absolute)
 * @param user        the resolved user
 * @param hostname    the container's host name
 * @param annotations the image-spec's annotations (labels and {@code org.opencontainers.image.*}), sorted
 * @param stopSignal  the image's StopSignal, or SIGTERM
 * @param notHonoured image config fields no engine format of krgo honours, each with its value, e.g.
 *                    {@code Healthcheck}, {@code ExposedPorts (80/tcp)}, {@code Volumes (/data)}
 */
public record ContainerSpec(List<String> args, List<String> env, String cwd, ContainerUser user, String hostname,
                            SortedMap<String, String> annotations, String stopSignal, List<String> notHonoured) {
    public ContainerSpec {
        args = List.copyOf(args);
        env = List.copyOf(env);
        annotations = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(annotations));
        notHonoured = List.copyOf(notHonoured);
    }

    /** The value of {@code key} in {@link #env()}, or null. */
    public String envValue(String key) {
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq > 0 && e.substring(0, eq).equals(key)) {
                return e.substring(eq + 1);
            }
        }
        return null;
    }

    /** This spec with the process as root (0:0, no supplementary groups): a user namespace that maps only root. */
    public ContainerSpec asRoot() {
        return new ContainerSpec(args, env, cwd, new ContainerUser(0, 0, List.of(), user.name(), user.home()), hostname,
                annotations, stopSignal, notHonoured);
    }
}
