package io.krgo.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.image.Json;

import java.util.List;
import java.util.Map;

/**
 * An OCI runtime-spec 1.0.2 {@code config.json} (what runc 1.1 and crun 1.8 accept) with docker's defaults:
 * the namespaces (pid, ipc, uts, mount, and network unless the host's), the mounts {@code /proc},
 * {@code /dev}, {@code /dev/pts}, {@code /dev/shm}, {@code /dev/mqueue}, {@code /sys} (read-only),
 * {@code /sys/fs/cgroup} (read-only), the masked and read-only paths, docker's capability set, the
 * seccomp profile, and the bind mounts of {@link HostFiles} and {@code -v}. Keys come in a fixed order,
 * so the same input gives the same bytes.
 */
final class OciSpec {
    static final List<String> MASKED_PATHS = List.of("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap");
    static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    private OciSpec() {
    }

    /**
     * @param rootPath {@code root.path}: relative to the bundle, or absolute
     * @param seccomp  the {@code linux.seccomp} section, or null for none (unconfined)
     * @param binds    host files mounted into the container (destination → source, read-only)
     * @param rootless the mapping of the user namespace the runtime runs in, or null as root
     * @param ownUserns the config makes that user namespace itself (only the caller mapped: runc writes it)
     */
    static ObjectNode build(ContainerSpec spec, RunOptions options, String rootPath, List<String> caps,
                            ObjectNode seccomp, Map<String, String> binds, IdMapping rootless, boolean ownUserns) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("ociVersion", "1.0.2");
        ObjectNode process = c.putObject("process");
        process.put("terminal", options.terminal());
        ObjectNode user = process.putObject("user");
        user.put("uid", spec.user().uid());
        user.put("gid", spec.user().gid());
        if (!spec.user().additionalGids().isEmpty()) {
            ArrayNode gids = user.putArray("additionalGids");
            spec.user().additionalGids().forEach(gids::add);
        }
        strings(process.putArray("args"), spec.args());
        strings(process.putArray("env"), spec.env());
        process.put("cwd", spec.cwd());
        ObjectNode capabilities = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(capabilities.putArray(set), caps);
        }
        process.put("noNewPrivileges", false);
        ObjectNode root = c.putObject("root");
        root.put("path", rootPath);
        root.put("readonly", options.readOnly());
        c.put("hostname", spec.hostname());
        ArrayNode mounts = c.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        if (rootless != null && rootless.maxGid() < 5) {
            // gid 5 (tty) is not mapped: devpts refuses it
            mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                    "mode=0620");
        } else {
            mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                    "mode=0620", "gid=5");
        }
        if (rootless != null && options.network() == RunOptions.Network.HOST) {
            // sysfs may only be mounted by the user namespace that owns the network namespace: the host's
            // is not ours, so the host's /sys is bound read-only (as runc spec --rootless does)
            mount(mounts, "/sys", "none", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
        } else {
            mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        }
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        binds.forEach((destination, source) -> mount(mounts, destination, "bind", source, "rbind", "ro"));
        for (RunOptions.Volume v : options.volumes()) {
            mount(mounts, v.container(), "bind", v.host().toString(), "rbind", v.readOnly() ? "ro" : "rw");
        }
        if (!spec.annotations().isEmpty()) {
            ObjectNode annotations = c.putObject("annotations");
            spec.annotations().forEach(annotations::put);
        }
        ObjectNode linux = c.putObject("linux");
        ObjectNode resources = linux.putObject("resources");
        ObjectNode denyAll = resources.putArray("devices").addObject();
        denyAll.put("allow", false);
        denyAll.put("access", "rwm");
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : List.of("pid", "ipc", "uts", "mount")) {
            namespaces.addObject().put("type", ns);
        }
        if (options.network() == RunOptions.Network.NONE) {
            namespaces.addObject().put("type", "network");
        }
        if (rootless != null && ownUserns) {
            namespaces.addObject().put("type", "user");
            for (String kind : List.of("uidMappings", "gidMappings")) {
                ObjectNode m = linux.putArray(kind).addObject();
                m.put("containerID", 0);
                m.put("hostID", kind.equals("uidMappings") ? rootless.uid() : rootless.gid());
                m.put("size", 1);
            }
        }
        strings(linux.putArray("maskedPaths"), MASKED_PATHS);
        strings(linux.putArray("readonlyPaths"), READONLY_PATHS);
        if (seccomp != null) {
            linux.set("seccomp", seccomp);
        }
        return c;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        strings(m.putArray("options"), List.of(options));
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
