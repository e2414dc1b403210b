package io.krgo.registry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where the machine's network configuration for registries lives: certs.d directories, the system CA bundle,
 * containers' registries.conf. Passed down rather than read from globals, so a test (or a chroot) can point
 * krgo at its own copies.
 *
 * @param root prefix of the system-wide paths ({@code /etc/...}); {@code /} normally, as containers/image's
 *             {@code RootForImplicitAbsolutePaths}
 * @param home the user's home directory (per-user files under {@code .config/containers})
 * @param env  the environment ({@code SSL_CERT_FILE}, {@code SSL_CERT_DIR}, {@code CONTAINERS_REGISTRIES_CONF})
 */
public record ConfigLocations(Path root, Path home, Map<String, String> env) {
    /** The environment variable that replaces {@code /} as the prefix of system-wide configuration paths. */
    public static final String ROOT_VARIABLE = "KRGO_CONFIG_ROOT";

    public ConfigLocations {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(home, "home");
        env = Map.copyOf(env);
    }

    /** This process's locations: root {@code $KRGO_CONFIG_ROOT} (else {@code /}), home {@code user.home}. */
    public static ConfigLocations fromSystem() {
        Map<String, String> env = System.getenv();
        String root = env.get(ROOT_VARIABLE);
        return new ConfigLocations(Path.of(root == null || root.isBlank() ? "/" : root),
                Path.of(System.getProperty("user.home", "/")), env);
    }

    /** A system-wide path such as {@code etc/containers} under {@link #root}. */
    public Path system(String relative) {
        return root.resolve(relative);
    }

    /**
     * The certs.d roots, in containers/image's order: per-user, then containers', then docker's. Each holds
     * one directory per registry ({@code HOST} or {@code HOST:PORT}) of {@code *.crt} CAs and
     * {@code NAME.cert}/{@code NAME.key} client pairs.
     */
    public List<Path> certsDirs() {
        return List.of(home.resolve(".config/containers/certs.d"), system("etc/containers/certs.d"),
                system("etc/docker/certs.d"));
    }

    /** The system CA bundle: {@code $SSL_CERT_FILE}, else {@code /etc/ssl/certs/ca-certificates.crt}. */
    public List<Path> systemCaFiles() {
        String file = env.get("SSL_CERT_FILE");
        return List.of(file != null && !file.isBlank() ? Path.of(file) : system("etc/ssl/certs/ca-certificates.crt"));
    }

    /** {@code $SSL_CERT_DIR} (colon-separated), else none: the bundle already holds the system's CAs. */
    public List<Path> systemCaDirs() {
        String dirs = env.get("SSL_CERT_DIR");
        List<Path> out = new ArrayList<>();
        if (dirs != null) {
            for (String d : dirs.split(":")) {
                if (!d.isBlank()) {
                    out.add(Path.of(d));
                }
            }
        }
        return List.copyOf(out);
    }
}
