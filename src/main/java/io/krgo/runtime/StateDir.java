package io.krgo.runtime;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where {@code krgo run} keeps what it makes: {@code $KRGO_STATE}, else {@code $XDG_STATE_HOME/krgo}, else
 * {@code ~/.local/state/krgo}. {@code images/<manifest hex>/rootfs} holds each image unpacked once (with its
 * record beside it, as any pull), {@code refs/} the image each reference last resolved to (so
 * {@code --pull missing} runs offline), {@code containers/<name>/} each container (its config.json, overlay
 * upper and work directories, the merged rootfs mount point and {@code container.json}).
 */
public record StateDir(Path root) {
    public StateDir {
        root = root.toAbsolutePath().normalize();
    }

    public static StateDir fromEnvironment(Map<String, String> env) {
        String explicit = System.getProperty("krgo.state", env.get("KRGO_STATE"));
        if (explicit != null && !explicit.isEmpty()) {
            return new StateDir(Path.of(explicit));
        }
        String xdg = env.get("XDG_STATE_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            return new StateDir(Path.of(xdg, "krgo"));
        }
        return new StateDir(Path.of(System.getProperty("user.home"), ".local", "state", "krgo"));
    }

    public Path images() {
        return root.resolve("images");
    }

    public Path image(String manifestHex) {
        return images().resolve(manifestHex);
    }

    public Path refs() {
        return root.resolve("refs");
    }

    public Path containers() {
        return root.resolve("containers");
    }

    public Path container(String name) {
        return containers().resolve(name);
    }
}
