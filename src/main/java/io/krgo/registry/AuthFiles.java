package io.krgo.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The credential files searched, in order, as containers/image (podman, skopeo, buildah) searches them
 * (containers-auth.json(5)): {@code $REGISTRY_AUTH_FILE} alone when set; else
 * {@code $XDG_RUNTIME_DIR/containers/auth.json} (without {@code XDG_RUNTIME_DIR}: the per-user
 * {@code /run/containers/UID/auth.json}), {@code $XDG_CONFIG_HOME/containers/auth.json} (default
 * {@code ~/.config}), then the Docker config ({@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}).
 * The first file that has credentials for a registry wins.
 */
record AuthFiles(List<AuthFile> files) {
    /** One file; {@code docker} marks the Docker config, which keeps Docker's meaning of {@code credsStore}. */
    record AuthFile(Path path, boolean docker) {
    }

    AuthFiles {
        files = List.copyOf(files);
    }

    /**
     * The files for environment {@code env} and home {@code home}; {@code perUserRunFile} is used when
     * {@code XDG_RUNTIME_DIR} is unset (null: none, as in tests).
     */
    static AuthFiles locate(Map<String, String> env, Path home, Path perUserRunFile) {
        String explicit = env.get("REGISTRY_AUTH_FILE");
        if (explicit != null && !explicit.isEmpty()) {
            // An explicitly chosen file is the only one read, as with skopeo --authfile.
            return new AuthFiles(List.of(new AuthFile(Path.of(explicit), false)));
        }
        List<AuthFile> files = new ArrayList<>();
        String runtimeDir = env.get("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isEmpty()) {
            files.add(new AuthFile(Path.of(runtimeDir, "containers", "auth.json"), false));
        } else if (perUserRunFile != null) {
            files.add(new AuthFile(perUserRunFile, false));
        }
        String configHome = env.get("XDG_CONFIG_HOME");
        Path configDir = configHome != null && !configHome.isEmpty() ? Path.of(configHome) : home.resolve(".config");
        files.add(new AuthFile(configDir.resolve("containers").resolve("auth.json"), false));
        files.add(new AuthFile(dockerConfig(env, home), true));
        return new AuthFiles(files);
    }

    static Path dockerConfig(Map<String, String> env, Path home) {
        String dir = env.get("DOCKER_CONFIG");
        if (dir != null && !dir.isEmpty()) {
            return Path.of(dir, "config.json");
        }
        return home.resolve(".docker").resolve("config.json");
    }

    /** {@code /run/containers/UID/auth.json} for this process's user, or null when the UID is unknown. */
    static Path perUserRunFile() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Path.of("/run/containers", uid.toString(), "auth.json");
        } catch (java.io.IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }
}
