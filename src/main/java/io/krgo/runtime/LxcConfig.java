package io.krgo.runtime;

import io.krgo.error.UsageException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An LXC container config for {@code lxc-execute -n NAME -f FILE} ({@code lxc.execute.cmd}) and
 * {@code lxc-start} ({@code lxc.init.cmd}): the image's argv, {@code lxc.init.cwd}, {@code lxc.init.uid}/
 * {@code gid}, {@code lxc.environment}, docker's capabilities ({@code lxc.cap.keep}), {@code proc:mixed sys:ro}
 * mounts, the host's network ({@code lxc.net.0.type = none}) or only loopback ({@code empty}), and the
 * resolv.conf/hosts/hostname binds. LXC has no setting for supplementary groups and its own seccomp format:
 * both are named in the warnings.
 */
final class LxcConfig {
    private LxcConfig() {
    }

    static String render(ContainerSpec spec, RunOptions options, Path rootfs, List<String> caps,
                         Map<String, String> binds, boolean seccomp, List<String> notHonoured) {
        StringBuilder b = new StringBuilder();
        b.append("# Written by krgo config --format lxc from the image config recorded beside the rootfs.\n");
        b.append("lxc.uts.name = ").append(spec.hostname()).append('\n');
        b.append("lxc.rootfs.path = dir:").append(rootfs.toAbsolutePath()).append('\n');
        if (options.readOnly()) {
            b.append("lxc.rootfs.options = ro\n");
        }
        String argv = argv(spec.args());
        b.append("lxc.execute.cmd = ").append(argv).append('\n');
        b.append("lxc.init.cmd = ").append(argv).append('\n');
        b.append("lxc.init.cwd = ").append(spec.cwd()).append('\n');
        b.append("lxc.init.uid = ").append(spec.user().uid()).append('\n');
        b.append("lxc.init.gid = ").append(spec.user().gid()).append('\n');
        if (!spec.user().additionalGids().isEmpty()) {
            notHonoured.add("supplementary groups " + spec.user().additionalGids() + " (LXC has no setting for them)");
        }
        for (String e : spec.env()) {
            if (e.indexOf('\n') >= 0) {
                throw new UsageException("environment variable with a newline cannot be written to an LXC config: "
                        + e.substring(0, Math.max(0, e.indexOf('='))));
            }
            b.append("lxc.environment = ").append(e).append('\n');
        }
        b.append("lxc.autodev = 1\n");
        b.append("lxc.mount.auto = proc:mixed sys:ro cgroup:mixed\n");
        b.append("lxc.net.0.type = ").append(options.network() == RunOptions.Network.NONE ? "empty" : "none")
                .append('\n');
        List<String> keep = new ArrayList<>();
        caps.forEach(c -> keep.add(c.substring("CAP_".length()).toLowerCase(Locale.ROOT)));
        b.append("lxc.cap.keep = ").append(keep.isEmpty() ? "none" : String.join(" ", keep)).append('\n');
        binds.forEach((dst, src) -> b.append("lxc.mount.entry = ").append(src).append(' ')
                .append(dst.substring(1)).append(" none bind,ro,create=file 0 0\n"));
        for (RunOptions.Volume v : options.volumes()) {
            b.append("lxc.mount.entry = ").append(v.host()).append(' ').append(v.container().substring(1))
                    .append(" none bind,create=dir").append(v.readOnly() ? ",ro" : "").append(" 0 0\n");
        }
        if (seccomp) {
            notHonoured.add("the seccomp profile (LXC uses its own format; none is set)");
        }
        return b.toString();
    }

    /**
     * LXC splits these values on blanks and honours single and double quotes (no escapes); a value that
     * starts and ends with the same quote loses both to LXC's config parser, so the last word then takes
     * the other quote kind.
     */
    static String argv(List<String> args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            if (a.indexOf('\n') >= 0 || (a.indexOf('\'') >= 0 && a.indexOf('"') >= 0)) {
                throw new UsageException("argument cannot be written to an LXC config (newline, or both quote kinds): "
                        + a);
            }
            boolean plain = !a.isEmpty() && a.chars().noneMatch(c -> Character.isWhitespace(c) || c == '\'' || c == '"');
            out.add(plain ? a : a.indexOf('\'') >= 0 ? "\"" + a + "\"" : "'" + a + "'");
        }
        String first = out.get(0);
        String last = out.get(out.size() - 1);
        if (out.size() > 1 && !first.isEmpty() && !last.isEmpty() && first.charAt(0) == last.charAt(last.length() - 1)
                && (first.charAt(0) == '\'' || first.charAt(0) == '"')) {
            String bare = last.substring(1, last.length() - 1);
            char other = last.charAt(0) == '\'' ? '"' : '\'';
            if (bare.indexOf(other) >= 0) {
                throw new UsageException("these arguments cannot be quoted for an LXC config: " + args);
            }
            out.set(out.size() - 1, other + bare + other);
        }
        return String.join(" ", out);
    }
}
