package io.krgo.runtime;

import io.krgo.error.UsageException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Docker's default capability set and {@code --cap-add}/{@code --cap-drop} on it. runc's own default (three
 * capabilities) is too few for real images (chown, setuid in entrypoint scripts); more than docker's is
 * unsafe for images from strangers.
 */
public final class Capabilities {
    /** Docker's 14, in docker's order. */
    public static final List<String> DOCKER_DEFAULT = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
            "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    /** Every capability Linux 5.9+ knows, in number order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
    public static final List<String> ALL = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
            "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
            "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
            "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    private Capabilities() {
    }

    /** Docker's rule: drops apply to the defaults, then adds; {@code ALL} in either means every capability. */
    public static List<String> effective(List<String> add, List<String> drop) {
        List<String> adds = normalise(add);
        List<String> drops = normalise(drop);
        Set<String> caps = new LinkedHashSet<>(DOCKER_DEFAULT);
        if (drops.contains("ALL")) {
            caps.clear();
        } else {
            drops.forEach(caps::remove);
        }
        if (adds.contains("ALL")) {
            caps.addAll(ALL);
        } else {
            caps.addAll(adds);
        }
        List<String> out = new ArrayList<>();
        for (String c : ALL) {
            if (caps.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /** {@code net_admin}, {@code NET_ADMIN} and {@code CAP_NET_ADMIN} are one capability; unknown names fail. */
    static List<String> normalise(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String u = n.strip().toUpperCase(Locale.ROOT);
            if (u.equals("ALL")) {
                out.add("ALL");
                continue;
            }
            if (!u.startsWith("CAP_")) {
                u = "CAP_" + u;
            }
            if (!ALL.contains(u)) {
                throw new UsageException("unknown capability '" + n + "'");
            }
            out.add(u);
        }
        return out;
    }
}
