package io.krgo.runtime;

import io.krgo.error.FilesystemException;
import io.krgo.error.NotFoundException;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OCI runtime binary (runc, crun) driven through its command line: run, kill, state, delete.
 *
 * @param binary the runtime
 * @param root   the runtime's state directory ({@code --root}), or null for its default (rootless runs keep
 *               it in krgo's state directory: inside the user namespace runc would take {@code /run/runc})
 */
public record OciRuntime(Path binary, Path root) {
    private static final File DEV_NULL = new File("/dev/null");
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*([0-9]+)");

    public OciRuntime(Path binary) {
        this(binary, null);
    }

    public OciRuntime withRoot(Path stateRoot) {
        return new OciRuntime(binary, stateRoot);
    }

    /**
     * {@code choice} runc, crun or a path; null: runc, then crun, on the PATH.
     *
     * @throws NotFoundException naming the Debian packages when none is found
     */
    public static OciRuntime find(String choice) {
        if (choice != null && choice.contains("/")) {
            Path p = Path.of(choice);
            if (!Files.isExecutable(p)) {
                throw new NotFoundException("OCI runtime " + choice + " is not an executable file");
            }
            return new OciRuntime(p);
        }
        List<String> names = choice == null ? List.of("runc", "crun") : List.of(choice);
        for (String name : names) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) {
                    return new OciRuntime(p);
                }
            }
        }
        throw new NotFoundException("no OCI runtime " + String.join(" or ", names) + " on the PATH: apt-get install"
                + " runc (or crun)");
    }

    /**
     * The command line that runs the runtime with {@code args}. crun 1.8 refuses every container on a host
     * with hybrid cgroups whose cgroup v2 hierarchy has a controller ("cgroups in hybrid mode not
     * supported, drop all controllers from cgroupv2"), before it looks at config.json or its
     * --cgroup-manager option. It works in legacy (v1) mode, which it chooses when the v2 hierarchy is not
     * mounted: so, as root on such a host, crun runs in a mount namespace of its own without it (the host's
     * mounts are untouched; the container's cgroups are then v1 only, as runc's are here).
     */
    List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        boolean crun = binary.getFileName().toString().equals("crun");
        if (crun && HybridCgroups.v2HasControllers()) {
            cmd.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "umount " + HybridCgroups.V2_MOUNT + " && exec \"$0\" \"$@\""));
        }
        cmd.add(binary.toString());
        if (root != null) {
            cmd.addAll(List.of("--root", root.toString()));
        } else if (crun && HybridCgroups.isRoot()) {
            // crun keeps its state under $XDG_RUNTIME_DIR/crun whenever that is set, even as root: krgo
            // processes with different environments (a shell, sudo, CI) would not see each other's containers
            cmd.addAll(List.of("--root", "/run/crun"));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Whether, started without root in a user namespace, the runtime must not see the v2 hierarchy of a
     * hybrid host: crun 1.8 refuses to run there ({@link #command}); {@link HybridCgroups#hidingV2} covers it.
     */
    boolean hidesCgroupV2WithoutRoot() {
        return binary.getFileName().toString().equals("crun") && HybridCgroups.v2Controllers();
    }

    /** {@code runtime run -b BUNDLE ID}, standard streams as given; not waited for. */
    public Process start(Path bundle, String id, boolean stdin) {
        return start(bundle, id, stdin, cmd -> cmd);
    }

    /** As {@link #start(Path, String, boolean)}, the command line passed through {@code wrap} (a user namespace). */
    public Process start(Path bundle, String id, boolean stdin, UnaryOperator<List<String>> wrap) {
        ProcessBuilder pb = new ProcessBuilder(wrap.apply(command("run", "-b", bundle.toString(), id)))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(stdin ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.from(DEV_NULL));
        try {
            return pb.start();
        } catch (IOException e) {
            throw new FilesystemException("cannot start " + binary + ": " + e.getMessage(), e);
        }
    }

    /** Sends {@code signal} (e.g. {@code TERM}, {@code SIGQUIT}, {@code 9}) to the container's process. */
    public boolean kill(String id, String signal) {
        return quiet("kill", id, signal.startsWith("SIG") ? signal.substring(3) : signal).exit == 0;
    }

    /** The container's status ({@code running}, {@code stopped}, ...), or null when the runtime does not know it. */
    public String status(String id) {
        Out o = quiet("state", id);
        if (o.exit != 0) {
            return null;
        }
        int i = o.stdout.indexOf("\"status\"");
        if (i < 0) {
            return null;
        }
        int start = o.stdout.indexOf('"', o.stdout.indexOf(':', i) + 1);
        int end = o.stdout.indexOf('"', start + 1);
        return start < 0 || end < 0 ? null : o.stdout.substring(start + 1, end);
    }

    /** The host's process id of the container's first process, or 0 when the runtime has none (yet, or any more). */
    public long pid(String id) {
        Out o = quiet("state", id);
        Matcher m = PID.matcher(o.stdout);
        return o.exit == 0 && m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /**
     * Whether the runtime, running a container with a terminal in the foreground, copies its own terminal's size
     * to the container's on SIGWINCH. runc does; crun only from 1.8.7 (its commit 907d0322: before, it passes
     * SIGWINCH on to the container's process and leaves the size), so krgo does it for every other runtime.
     */
    public boolean followsTerminalSize() {
        return binary.getFileName().toString().equals("runc");
    }

    /** Removes the runtime's state of the container (killing it first). */
    public void delete(String id) {
        quiet("delete", "-f", id);
    }

    private record Out(int exit, String stdout) {
    }

    private Out quiet(String... args) {
        List<String> cmd = command(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL)).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Out(-1, out);
            }
            return new Out(p.exitValue(), out);
        } catch (IOException e) {
            return new Out(-1, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Out(-1, "");
        }
    }
}
