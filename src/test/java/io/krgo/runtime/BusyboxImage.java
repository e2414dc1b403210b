package io.krgo.runtime;

import io.krgo.testing.OciFixtures;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import io.krgo.testing.Umoci;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A runnable test image made by the real peers: one layer with Debian's static busybox (package
 * busybox-static) and an entrypoint script that prints its arguments, cwd, {@code id} and environment;
 * umoci sets Entrypoint, Cmd, Env, WorkingDir, User (by name), a label, StopSignal, ExposedPorts and a
 * Volume; skopeo pushes it.
 */
final class BusyboxImage {
    static final String ENTRY = """
            #!/bin/sh
            echo "args:$*"
            echo "argc:$#"
            echo "cwd:$(pwd)"
            echo "id:$(id)"
            env | sort | sed 's/^/env:/'
            exit "${EXIT_CODE:-0}"
            """;
    static final String GETENT = """
            #!/bin/sh
            case "$1" in
              passwd|group) grep "^$2:" "/etc/$1" || exit 2 ;;
              initgroups)
                line=$(grep "^$2:" /etc/passwd) || exit 2
                gid=$(echo "$line" | cut -d: -f4)
                printf '%s %s' "$2" "$gid"
                grep -E "[:,]$2(,|\\$)" /etc/group | cut -d: -f3 | while read g; do printf ' %s' "$g"; done
                echo ;;
              *) exit 1 ;;
            esac
            """;
    static final List<String> APPLETS = List.of("sh", "id", "env", "pwd", "echo", "sort", "sed", "cat", "sleep",
            "ls", "grep", "hostname", "true", "false", "tty", "stty", "nslookup", "kill", "cut", "touch");

    private BusyboxImage() {
    }

    /** Builds the image into the OCI layout {@code layout} as {@code tag}; returns the layout. */
    static Path layout(Path work, String tag) {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isRegularFile(busybox)) {
            throw new AssertionError("/bin/busybox is required by this test but not installed: apt-get install -y"
                    + " busybox-static");
        }
        byte[] bin;
        try {
            bin = Files.readAllBytes(busybox);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (new String(bin, StandardCharsets.ISO_8859_1).contains("/lib64/ld-linux")) {
            throw new AssertionError("/bin/busybox is dynamically linked (package busybox); this test needs the static"
                    + " one: apt-get install -y busybox-static");
        }
        long t = TarBuilder.DEFAULT_MTIME;
        TarBuilder tar = new TarBuilder()
                .dir("bin", 0755, 0, 0, t)
                .file("bin/busybox", bin, 0755, 0, 0, t)
                .dir("etc", 0755, 0, 0, t)
                .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n"
                        .getBytes(StandardCharsets.UTF_8), 0644, 0, 0, t)
                .file("etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:app\n".getBytes(StandardCharsets.UTF_8),
                        0644, 0, 0, t)
                .dir("root", 0700, 0, 0, t)
                .dir("home", 0755, 0, 0, t)
                .dir("home/app", 0755, 1000, 1000, t)
                .dir("work", 0755, 1000, 1000, t)
                .dir("tmp", 01777, 0, 0, t)
                .file("entry.sh", ENTRY.getBytes(StandardCharsets.UTF_8), 0755, 0, 0, t)
                // systemd-nspawn resolves User= by running the image's getent; busybox has none
                .dir("usr", 0755, 0, 0, t)
                .dir("usr/bin", 0755, 0, 0, t)
                .file("usr/bin/getent", GETENT.getBytes(StandardCharsets.UTF_8), 0755, 0, 0, t);
        for (String applet : APPLETS) {
            tar.symlink("bin/" + applet, "busybox", 0, 0, t);
        }
        Path layerTar = tar.writeTo(work.resolve("busybox-layer-" + tag + ".tar"));
        Path layout = work.resolve("layout");
        OciFixtures.create(layout, tag, List.of(layerTar));
        Umoci.run("config", "--image", layout + ":" + tag, "--os", "linux", "--architecture", "amd64",
                "--config.entrypoint", "/entry.sh", "--config.cmd", "a b", "--config.cmd", "c",
                "--config.env", "GREETING=hello world", "--config.env", "PATH=/bin",
                "--config.workingdir", "/work", "--config.user", "app",
                "--config.label", "org.example.team=krgo", "--config.stopsignal", "SIGQUIT",
                "--config.exposedports", "8080/tcp", "--config.volume", "/data", "--author", "krgo tests");
        return layout;
    }

    /** Builds the image and pushes it to {@code repoAndTag} on {@code registry}; returns the layout. */
    static Path push(RegistryHarness registry, Path work, String repoAndTag) {
        Path layout = layout(work, "t");
        Skopeo.copyTo(registry, "oci:" + layout + ":t", repoAndTag);
        return layout;
    }

    /** {@code runc run -b BUNDLE NAME}, as root; fails naming the package when runc is missing. */
    static Tools.Result runc(Path bundle, String name) {
        Tools.require("runc", "runc");
        try {
            return Tools.runAllowingFailure(List.of("runc", "run", "-b", bundle.toString(), name), java.util.Map.of());
        } finally {
            Tools.runAllowingFailure(List.of("runc", "delete", "-f", name), java.util.Map.of());
        }
    }
}
