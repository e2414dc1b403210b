package io.krgo.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * A systemd-nspawn settings file ({@code DIR.nspawn}, read by {@code systemd-nspawn -D DIR} from beside
 * the directory) with the image's process, environment, working directory and user. nspawn's {@code User=}
 * takes names only: a uid without a name in the rootfs's {@code /etc/passwd} cannot be expressed (named in
 * the warnings; the process would run as root), nor can an explicit group. Settings nspawn treats as
 * privileged ({@code Bind=}, {@code Capability=}, {@code Private=}) count only with
 * {@code --settings=trusted} or from {@code /etc/systemd/nspawn/}.
 */
final class NspawnSettings {
    /** nspawn's own default capabilities beyond docker's set: dropped, so the container has docker's at most. */
    private static final List<String> NSPAWN_DEFAULT = List.of("CAP_AUDIT_CONTROL", "CAP_AUDIT_WRITE", "CAP_CHOWN",
            "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_IPC_OWNER", "CAP_KILL",
            "CAP_LEASE", "CAP_LINUX_IMMUTABLE", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
            "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_CHROOT", "CAP_SYS_NICE", "CAP_SYS_PTRACE", "CAP_SYS_RESOURCE", "CAP_SYS_TTY_CONFIG");

    private NspawnSettings() {
    }

    /** The file's text; {@code notHonoured} receives what nspawn cannot express. */
    static String render(ContainerSpec spec, RunOptions options, List<String> caps, String userGroupSpec,
                         List<String> notHonoured) {
        StringBuilder b = new StringBuilder();
        b.append("# Written by krgo config --format nspawn from the image config recorded beside the rootfs.\n");
        b.append("# systemd-nspawn -D DIR reads it from beside DIR; Bind=, Capability= and Private= need"
                + " --settings=trusted.\n");
        b.append("[Exec]\nBoot=no\n");
        b.append("Parameters=").append(quoteAll(spec.args())).append('\n');
        for (String e : spec.env()) {
            b.append("Environment=").append(quote(e)).append('\n');
        }
        b.append("WorkingDirectory=").append(spec.cwd()).append('\n');
        ContainerUser u = spec.user();
        if (u.name() != null && u.uid() != 0) {
            b.append("User=").append(u.name()).append('\n');
        } else if (u.name() == null && u.uid() != 0) {
            notHonoured.add("User " + u.uid() + " (no name in the rootfs's /etc/passwd; nspawn's User= takes names"
                    + " only, so the process runs as root)");
        }
        if (userGroupSpec != null && userGroupSpec.contains(":")) {
            notHonoured.add("the group of User " + userGroupSpec + " (nspawn uses the user's primary group)");
        }
        b.append("Hostname=").append(spec.hostname()).append('\n');
        List<String> drop = new ArrayList<>();
        List<String> add = new ArrayList<>();
        for (String c : NSPAWN_DEFAULT) {
            if (!caps.contains(c)) {
                drop.add(c);
            }
        }
        for (String c : caps) {
            if (!NSPAWN_DEFAULT.contains(c)) {
                add.add(c);
            }
        }
        if (!drop.isEmpty()) {
            b.append("DropCapability=").append(String.join(" ", drop)).append('\n');
        }
        if (!add.isEmpty()) {
            b.append("Capability=").append(String.join(" ", add)).append('\n');
        }
        b.append("[Files]\n");
        if (options.readOnly()) {
            b.append("ReadOnly=yes\n");
        }
        for (RunOptions.Volume v : options.volumes()) {
            b.append(v.readOnly() ? "BindReadOnly=" : "Bind=").append(v.host()).append(':').append(v.container())
                    .append('\n');
        }
        b.append("[Network]\n");
        b.append(options.network() == RunOptions.Network.NONE ? "Private=yes\n" : "Private=no\n");
        return b.toString();
    }

    private static String quoteAll(List<String> args) {
        List<String> q = new ArrayList<>();
        args.forEach(a -> q.add(quote(a)));
        return String.join(" ", q);
    }

    /** systemd's unquoting (EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE): double quotes, C escapes inside. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
