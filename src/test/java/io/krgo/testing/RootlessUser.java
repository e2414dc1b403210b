package io.krgo.testing;

import io.krgo.cli.Main;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real unprivileged user for rootless tests: made by {@code useradd -m} with a unique name, removed with
 * its home by {@link #close}. Commands run as it through {@code setpriv --reuid --regid --init-groups} with
 * HOME set to its home; the krgo CLI runs from a copy of the test class path in that home (root's Maven
 * repository is not readable to others). Work in {@link #home()}: it belongs to the user.
 */
public final class RootlessUser implements AutoCloseable {
    private final String name;
    private final int uid;
    private final Path home;
    private String classPath;

    private RootlessUser(String name, int uid, Path home) {
        this.name = name;
        this.uid = uid;
        this.home = home;
    }

    /** Creates the user (the test must run as root). */
    public static RootlessUser create() {
        Tools.require("useradd", "passwd");
        Tools.require("setpriv", "util-linux");
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("rootless tests create a user and need root (CI runs as root)");
        }
        String name = "krgoxt" + UUID.randomUUID().toString().substring(0, 8);
        Tools.run(List.of("useradd", "-m", "-s", "/bin/sh", name));
        int uid = Integer.parseInt(Tools.run(List.of("id", "-u", name)).trim());
        Path home = Path.of(Tools.run(List.of("getent", "passwd", name)).trim().split(":")[5]);
        return new RootlessUser(name, uid, home);
    }

    public String name() {
        return name;
    }

    public int uid() {
        return uid;
    }

    public Path home() {
        return home;
    }

    /** Runs {@code command} as the user; never fails by itself (check the exit code). */
    public Tools.Result run(List<String> command) {
        return Tools.runAllowingFailure(as(command), Map.of());
    }

    /**
     * {@code command} as the user, for a ProcessBuilder (setpriv and env exec it: the process started is the
     * command itself, so signals sent to it reach the command).
     */
    public List<String> as(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--init-groups",
                "env", "HOME=" + home, "USER=" + name, "LOGNAME=" + name, "KRGO_CACHE=" + home.resolve("cache"),
                "XDG_CACHE_HOME=" + home.resolve(".cache"), "TMPDIR=" + tmp()));
        cmd.addAll(command);
        return cmd;
    }

    /** Runs {@code command} as the user and fails the test unless it exits 0; returns stdout. */
    public String runOk(String... command) {
        Tools.Result r = run(List.of(command));
        if (r.exitCode() != 0) {
            throw new AssertionError("as " + name + ": " + String.join(" ", command) + " failed (exit " + r.exitCode()
                    + "): " + r.stderr() + r.stdout());
        }
        return r.stdout();
    }

    /** The krgo CLI as the user, in a JVM of its own. */
    public Tools.Result krgo(String... args) {
        return run(krgoCommand(args));
    }

    /** The krgo CLI's command line (without the setpriv prefix of {@link #as}). */
    public List<String> krgoCommand(String... args) {
        // Short runs on a busy machine: C1 only and the serial collector start fastest.
        return KrgoCli.javaCommand(classPath(), List.of("-Djava.io.tmpdir=" + tmp(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC"), Main.class, args);
    }

    /** The first host id of the user's range in {@code /etc/subuid} (useradd gives one). */
    public long subuidStart() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/subuid"))) {
                String[] f = line.split(":");
                if (f.length == 3 && f[0].equals(name)) {
                    return Long.parseLong(f[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError(name + " has no range in /etc/subuid (useradd should have given one)");
    }

    /** Takes the user's subordinate ranges away ({@code usermod --del-subuids/--del-subgids}). */
    public void dropSubordinateIds() {
        for (String[] kind : new String[][] {{"/etc/subuid", "--del-subuids"}, {"/etc/subgid", "--del-subgids"}}) {
            try {
                for (String line : Files.readAllLines(Path.of(kind[0]))) {
                    String[] f = line.split(":");
                    if (f.length == 3 && f[0].equals(name)) {
                        long start = Long.parseLong(f[1]);
                        Tools.run(List.of("usermod", kind[1], start + "-" + (start + Long.parseLong(f[2]) - 1), name));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Replaces the user's subordinate ranges (uids and gids alike) with {@code ranges}, each {start, count},
     * in this order in {@code /etc/subuid} and {@code /etc/subgid} ({@code usermod --add-subuids/--add-subgids}).
     */
    public void replaceSubordinateIds(long[]... ranges) {
        dropSubordinateIds();
        for (long[] r : ranges) {
            String range = r[0] + "-" + (r[0] + r[1] - 1);
            Tools.run(List.of("usermod", "--add-subuids", range, "--add-subgids", range, name));
        }
    }

    /** Makes {@code path} (recursively) the user's, e.g. an OCI layout that root copied into its home. */
    public void own(Path path) {
        Tools.run(List.of("chown", "-R", uid + ":" + uid, path.toString()));
    }

    private Path tmp() {
        Path t = home.resolve("tmp");
        if (!Files.isDirectory(t)) {
            try {
                Files.createDirectories(t);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            own(t);
        }
        return t;
    }

    private synchronized String classPath() {
        if (classPath == null) {
            Path cp = home.resolve("classpath");
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path src = Path.of(e);
                if (!Files.exists(src)) {
                    continue;
                }
                Path dst = cp.resolve(i++ + "-" + src.getFileName());
                Tools.run(List.of("mkdir", "-p", cp.toString()));
                Tools.run(List.of("cp", "-a", src.toString(), dst.toString()));
                entries.add(dst.toString());
            }
            own(cp);
            Tools.run(List.of("chmod", "-R", "u+rwX", cp.toString()));
            classPath = String.join(java.io.File.pathSeparator, entries);
        }
        return classPath;
    }

    /** Removes the user and its home (with whatever modes the tests left there). */
    @Override
    public void close() {
        Tools.runAllowingFailure(List.of("userdel", "-r", "-f", name), Map.of());
        Tools.deleteTree(home);
    }
}
