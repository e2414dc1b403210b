package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.AuthException;
import io.krgo.error.FilesystemException;
import io.krgo.image.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Writes credentials where {@link CredentialResolver} finds them: {@code $DOCKER_CONFIG/config.json} or
 * {@code ~/.docker/config.json} ({@code auths[REGISTRY].auth} = base64 of {@code user:password}), or the
 * configured {@code credsStore} helper ({@code docker-credential-NAME store/erase}). The file is replaced
 * atomically and is readable by its owner only (0600); other content of the file is kept.
 */
public final class DockerConfig {
    private final Map<String, String> env;
    private final Path home;

    public DockerConfig(Map<String, String> env, Path home) {
        this.env = Map.copyOf(env);
        this.home = home;
    }

    /** The Docker config of this process's real environment. */
    public static DockerConfig fromSystem() {
        return new DockerConfig(System.getenv(), Path.of(System.getProperty("user.home", "/")));
    }

    public Path file() {
        return new CredentialResolver(env, home).configFile();
    }

    /** The key a registry is stored under: Docker Hub's legacy URL for docker.io, else the name as given. */
    public static String keyOf(String registry) {
        return CredentialResolver.keysFor(registry).get(0);
    }

    /** Stores {@code credentials} for {@code registry}; returns where they went (the file, or the helper's name). */
    public String store(String registry, Credentials credentials) {
        if (credentials.isIdentityToken()) {
            throw new AuthException("storing identity tokens is not supported; log in with a password");
        }
        ObjectNode root = read();
        String key = keyOf(registry);
        Optional<String> helper = credsStore(root);
        if (helper.isPresent()) {
            ObjectNode msg = Json.MAPPER.createObjectNode();
            msg.put("ServerURL", key);
            msg.put("Username", credentials.username());
            msg.put("Secret", credentials.password());
            runHelper(helper.get(), "store", Json.write(msg));
            // Docker leaves an empty auths entry so that `docker login` state is visible; do the same.
            root.with("auths").putObject(key);
            write(root);
            return "docker-credential-" + helper.get();
        }
        String pair = credentials.username() + ":" + credentials.password();
        ObjectNode entry = root.with("auths").putObject(key);
        entry.put("auth", Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        write(root);
        return file().toString();
    }

    /** Removes every stored entry for {@code registry}; false when there was none. */
    public boolean erase(String registry) {
        if (!Files.exists(file())) {
            return false;
        }
        ObjectNode root = read();
        boolean removed = false;
        JsonNode auths = root.path("auths");
        for (String key : CredentialResolver.keysFor(registry)) {
            if (auths instanceof ObjectNode a && a.remove(key) != null) {
                removed = true;
            }
        }
        Optional<String> helper = credsStore(root);
        if (helper.isPresent()) {
            removed |= runHelper(helper.get(), "erase", keyOf(registry).getBytes(StandardCharsets.UTF_8));
        }
        if (removed) {
            write(root);
        }
        return removed;
    }

    private static Optional<String> credsStore(ObjectNode root) {
        String s = root.path("credsStore").asText("");
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    private ObjectNode read() {
        Path f = file();
        if (!Files.exists(f)) {
            return Json.MAPPER.createObjectNode();
        }
        try {
            return (ObjectNode) Json.readTree(Files.readAllBytes(f), "docker config " + f.getFileName());
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (io.krgo.error.UnsafeImageException e) {
            throw new FilesystemException(f + " is not valid JSON; fix or remove it");
        }
    }

    /** Writes to a 0600 temporary file beside the config, then renames it over: never a half-written file. */
    private void write(ObjectNode root) {
        Path f = file();
        try {
            Files.createDirectories(f.getParent());
            Path tmp = Files.createTempFile(f.getParent(), ".config", ".json.tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
                try {
                    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new FilesystemException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code docker-credential-NAME ACTION} with {@code input} on stdin; false when it found nothing to erase. */
    private boolean runHelper(String name, String action, byte[] input) {
        CredentialHelper helper = new CredentialHelper(name, env);
        CredentialHelper.Result r = helper.run(action, input, 64 * 1024);
        if (r.exitStatus() != 0) {
            if (action.equals("erase") && r.text().toLowerCase(java.util.Locale.ROOT).contains("not found")) {
                return false;
            }
            throw new AuthException("credential helper " + helper.program() + " " + action + " failed with exit status "
                    + r.exitStatus());
        }
        return true;
    }
}
