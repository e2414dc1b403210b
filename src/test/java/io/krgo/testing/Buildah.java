package io.krgo.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real peer {@code buildah} (Debian package buildah) with storage of its own: {@code --root} and
 * {@code --runroot} under a test directory and the {@code vfs} driver (plain directories, no mounts), so
 * nothing leaks into the machine's container storage; {@link #close} removes it all.
 */
public final class Buildah implements AutoCloseable {
    private final Path storage;

    public Buildah(Path storage) {
        Tools.require("buildah", "buildah");
        this.storage = storage;
    }

    /** Runs {@code buildah --root … --runroot … --storage-driver vfs ARGS...}; returns stdout, trimmed. */
    public String run(String... args) {
        List<String> cmd = new ArrayList<>(List.of("buildah", "--root", storage.resolve("root").toString(),
                "--runroot", storage.resolve("run").toString(), "--storage-driver", "vfs"));
        cmd.addAll(List.of(args));
        Tools.Result r = Tools.runAllowingFailure(cmd, Map.of("TMPDIR", storage.toString()));
        if (r.exitCode() != 0) {
            throw new AssertionError("buildah cannot do this here: " + String.join(" ", cmd) + " (exit " + r.exitCode()
                    + "): " + r.stderr());
        }
        return r.stdout().trim();
    }

    /** A working container from {@code image} ({@code scratch} for none); returns its name. */
    public String from(String image) {
        return run("from", "--pull=never", "--quiet", image);
    }

    /** Mounts the working container (vfs: its directory); returns the rootfs path. */
    public Path mount(String container) {
        return Path.of(run("mount", container));
    }

    public void commit(String container, String image) {
        run("commit", "--quiet", "--format", "oci", container, image);
    }

    /** Pushes a local image to {@code repoAndTag} on the harness registry over plain HTTP. */
    public void push(String image, RegistryHarness registry, String repoAndTag) {
        List<String> args = new ArrayList<>(List.of("push", "--quiet", "--tls-verify=false"));
        if (registry.creds() != null) {
            args.add("--creds");
            args.add(registry.creds());
        }
        args.add(image);
        args.add("docker://" + registry.host() + "/" + repoAndTag);
        run(args.toArray(String[]::new));
    }

    @Override
    public void close() {
        Tools.runAllowingFailure(List.of("buildah", "--root", storage.resolve("root").toString(), "--runroot",
                storage.resolve("run").toString(), "--storage-driver", "vfs", "rm", "--all"), Map.of());
        Tools.deleteTree(storage);
    }
}
