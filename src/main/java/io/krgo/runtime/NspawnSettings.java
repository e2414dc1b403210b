package io.krgo.runtime;

import io.krgo.layer.RootfsFiles;
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
                         RootfsFiles rootfs, List<String> notHonoured) {
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
            if (rootfs.regularFile("/usr/bin/getent").isEmpty() && rootfs.regularFile("/bin/getent").isEmpty()) {
                notHonoured.add("User " + u.name() + " (systemd-nspawn resolves User= with the image's getent, which"
                        + " it lacks)");
            }
        } else if (u.name() == null && u.uid() != 0) {
            notHonoured.add("User " + u.uid() + " (no name in the rootfs's /etc/passwd; nspawn's User= takes names"
                    + " only, so the process runs as root)");
        }
        if (userGroupSpec != null && userGroupSpec.contains(":")) {
            notHonoured.add("the group of User " + userGroupSpec + " (nspawn uses the user's primary group)");
        }
        b.append("Hostname=").append(spec.hostname()).append('\n');
        if (!java.nio.file.Files.isDirectory(rootfs.dir().resolve("usr"))) {
            notHonoured.add("nothing: the rootfs has no /usr, and systemd-nspawn refuses such a tree");
        }
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
        if (options.network() == RunOptions.Network.NONE) {
            b.append("[Network]\nPrivate=yes\n"); // the host's network is nspawn's default
        }
        return b.toString();
    }

    private static String quoteAll(List<String> args) {
        List<String> q = new ArrayList<>();
        args.forEach(a -> q.add(quote(a)));
        return String.join(" ", q);
    }

    /**
     * nspawn parses these values as whitespace-separated words with quotes removed and backslashes kept as
     * written (systemd's EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE, measured with systemd 252): a word is
     * double-quoted unless it holds a double quote, then single-quoted; one with both, or ending in a
     * backslash (which would escape the closing quote), cannot be written.
     */
    static String quote(String s) {
        boolean dq = s.indexOf('"') >= 0;
        boolean sq = s.indexOf('\'') >= 0;
        if ((dq && sq) || s.endsWith("\\") || s.indexOf('\n') >= 0) {
            throw new io.krgo.error.UsageException("cannot write this value into a .nspawn file (both quote kinds,"
                    + " a newline, or a trailing backslash): " + s);
        }
        return dq ? "'" + s + "'" : "\"" + s + "\"";
    }
}
