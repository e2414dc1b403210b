package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.UsageException;
import io.krgo.layer.RootfsFiles;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The image-spec's conversion rules ({@code conversion.md}) with docker's run semantics on top: argv is
 * Entrypoint + Cmd, trailing arguments replace Cmd, {@code --entrypoint} replaces Entrypoint and clears Cmd;
 * env is the image's Env, then env files, then {@code -e}, then a default PATH, HOSTNAME, TERM (with a terminal) and the user's
 * HOME where the image sets none (as docker and runc do); cwd is WorkingDir or {@code /}; the user is
 * resolved in the rootfs; annotations come from the labels and the fields conversion.md lists.
 */
public final class ImageConversion {
    /** Docker's PATH for an image without one. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /**
     * The process of a bundle whose image has neither Entrypoint nor Cmd: what {@code umoci unpack} (and
     * {@code runc spec}) leave in {@code process.args} then.
     */
    public static final List<String> BUNDLE_DEFAULT_ARGS = List.of("sh");
    private static final String PREFIX = "org.opencontainers.image.";

    private ImageConversion() {
    }

    /**
     * @param imageConfig the whole image config document (with {@code config}, {@code os}, ...)
     * @param hostEnv     krgo's environment, for {@code -e KEY} and env-file lines without a value
     * @param hostName    the host's name (the container's with the host network and no {@code --hostname})
     */
    static ContainerSpec convert(JsonNode imageConfig, RootfsFiles rootfs, RunOptions options,
                                        EnvFiles envFiles, Map<String, String> hostEnv, String hostName) {
        JsonNode c = imageConfig.path("config");
        List<String> args = args(strings(c.path("Entrypoint")), strings(c.path("Cmd")), options);
        if (args.isEmpty()) {
            throw new UsageException("no command: the image has no Entrypoint or Cmd; give one after the image");
        }
        String hostname = options.hostname() != null ? options.hostname()
                : options.network() == RunOptions.Network.HOST ? hostName : options.name();
        ContainerUser user = new UserResolver(rootfs).resolve(options.user() != null ? options.user()
                : c.path("User").asText(""));
        Env env = new Env(strings(c.path("Env")));
        for (java.nio.file.Path file : options.envFiles()) {
            envFiles.read(file, hostEnv).forEach(env::set);
        }
        for (String e : options.env()) {
            EnvFiles.parseLine(e, hostEnv, "-e " + e).ifPresent(env::set);
        }
        env.setIfAbsent("PATH=" + DEFAULT_PATH);
        env.setIfAbsent("HOSTNAME=" + hostname);
        if (options.terminal()) {
            env.setIfAbsent("TERM=xterm");
        }
        if (user.home() != null) {
            env.setIfAbsent("HOME=" + user.home());
        }
        String cwd = options.workdir() != null ? options.workdir() : c.path("WorkingDir").asText("");
        if (cwd.isEmpty()) {
            cwd = "/";
        }
        if (!cwd.startsWith("/")) {
            throw new UsageException("working directory '" + cwd + "' is not absolute");
        }
        String stopSignal = c.path("StopSignal").asText("");
        return new ContainerSpec(args, env.list(), cwd, user, hostname, annotations(imageConfig),
                stopSignal.isEmpty() ? "SIGTERM" : stopSignal, notHonoured(c));
    }

    /** Whether the image config document gives a process of its own (Entrypoint or Cmd). */
    static boolean hasCommand(JsonNode imageConfig) {
        JsonNode c = imageConfig.path("config");
        return !strings(c.path("Entrypoint")).isEmpty() || !strings(c.path("Cmd")).isEmpty();
    }

    static List<String> args(List<String> entrypoint, List<String> cmd, RunOptions options) {
        List<String> out = new ArrayList<>();
        if (options.entrypoint() != null) {
            if (!options.entrypoint().isEmpty()) {
                out.add(options.entrypoint());
            }
            out.addAll(options.args());
            return out;
        }
        out.addAll(entrypoint);
        out.addAll(options.args().isEmpty() ? cmd : options.args());
        return out;
    }

    /** conversion.md's annotations: labels first, then the image's own fields (which win over a label). */
    static java.util.SortedMap<String, String> annotations(JsonNode image) {
        java.util.SortedMap<String, String> a = new TreeMap<>();
        JsonNode labels = image.path("config").path("Labels");
        for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            a.put(e.getKey(), e.getValue().asText());
        }
        putText(a, PREFIX + "os", image.path("os"));
        putText(a, PREFIX + "architecture", image.path("architecture"));
        putText(a, PREFIX + "variant", image.path("variant"));
        putText(a, PREFIX + "os.version", image.path("os.version"));
        List<String> features = strings(image.path("os.features"));
        if (!features.isEmpty()) {
            a.put(PREFIX + "os.features", String.join(",", features));
        }
        putText(a, PREFIX + "author", image.path("author"));
        putText(a, PREFIX + "created", image.path("created"));
        putText(a, PREFIX + "stopSignal", image.path("config").path("StopSignal"));
        List<String> ports = keys(image.path("config").path("ExposedPorts"));
        if (!ports.isEmpty()) {
            a.put(PREFIX + "exposedPorts", String.join(",", ports));
        }
        return a;
    }

    /** Fields of the image config that no format krgo writes can honour, named with their values. */
    static List<String> notHonoured(JsonNode c) {
        List<String> out = new ArrayList<>();
        if (c.path("Healthcheck").isObject() && !c.path("Healthcheck").isEmpty()) {
            out.add("Healthcheck");
        }
        List<String> ports = keys(c.path("ExposedPorts"));
        if (!ports.isEmpty()) {
            out.add("ExposedPorts (" + String.join(" ", ports) + ": no port publishing; the host network's ports"
                    + " are the container's)");
        }
        List<String> volumes = keys(c.path("Volumes"));
        if (!volumes.isEmpty()) {
            out.add("Volumes (" + String.join(" ", volumes) + ": part of the container's rootfs unless bound with -v)");
        }
        if (!strings(c.path("OnBuild")).isEmpty()) {
            out.add("OnBuild");
        }
        return out;
    }

    private static void putText(Map<String, String> a, String key, JsonNode v) {
        if (v.isTextual() && !v.asText().isEmpty()) {
            a.put(key, v.asText());
        }
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static List<String> keys(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        out.sort(null);
        return out;
    }

    /** An ordered environment: a later {@code set} of a key replaces its value in place. */
    private static final class Env {
        private final List<String> entries = new ArrayList<>();

        Env(List<String> initial) {
            initial.forEach(this::set);
        }

        void set(String kv) {
            String key = key(kv);
            for (int i = 0; i < entries.size(); i++) {
                if (key(entries.get(i)).equals(key)) {
                    entries.set(i, kv);
                    return;
                }
            }
            entries.add(kv);
        }

        void setIfAbsent(String kv) {
            String key = key(kv);
            if (entries.stream().noneMatch(e -> key(e).equals(key))) {
                entries.add(kv);
            }
        }

        List<String> list() {
            return entries;
        }

        private static String key(String kv) {
            int eq = kv.indexOf('=');
            return eq < 0 ? kv : kv.substring(0, eq);
        }
    }
}
