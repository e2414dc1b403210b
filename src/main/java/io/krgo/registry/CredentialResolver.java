package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.AuthException;
import io.krgo.image.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds credentials for a registry: explicit ones first (given by the caller), then the files
 * {@link AuthFiles} lists, in containers/image's order ({@code $REGISTRY_AUTH_FILE} alone when set, else
 * {@code $XDG_RUNTIME_DIR/containers/auth.json}, {@code ~/.config/containers/auth.json}, then
 * {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}); the first file with credentials wins.
 * In a file, {@code credHelpers[host]} comes first, then {@code auths} keyed by the repository and its parent
 * paths ({@code host/ns/repo}, {@code host/ns}), then by the host. The Docker config also asks its
 * {@code credsStore} before {@code auths}, as Docker does; containers' auth.json files have none (containers/image
 * ignores it there). Environment and home directory are injected, so tests need not touch the real ones;
 * credential helpers are looked up on the injected environment's {@code PATH}.
 */
public final class CredentialResolver {
    /** Docker Hub's key in config.json and for credential helpers. */
    public static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

    private final Map<String, String> env;
    private final Path home;
    private final Path perUserRunFile;

    /** A resolver reading no per-user {@code /run/containers/UID/auth.json} (only files under env and home). */
    public CredentialResolver(Map<String, String> env, Path home) {
        this(env, home, null);
    }

    /** {@code perUserRunFile} is read when {@code XDG_RUNTIME_DIR} is unset; null for none. */
    public CredentialResolver(Map<String, String> env, Path home, Path perUserRunFile) {
        this.env = Map.copyOf(env);
        this.home = home;
        this.perUserRunFile = perUserRunFile;
    }

    /** The resolver for this process's real environment. */
    public static CredentialResolver fromSystem() {
        return new CredentialResolver(System.getenv(), Path.of(System.getProperty("user.home", "/")),
                AuthFiles.perUserRunFile());
    }

    /** As {@link #resolve(String, String, Credentials)} without a repository: host keys only. */
    public Optional<Credentials> resolve(String registry, Credentials explicit) {
        return resolve(registry, null, explicit);
    }

    /**
     * Credentials for {@code repository} (may be null) on {@code registry} (as in a reference:
     * {@code docker.io}, {@code host:port}). {@code explicit} wins when not null; empty means anonymous.
     */
    public Optional<Credentials> resolve(String registry, String repository, Credentials explicit) {
        if (explicit != null) {
            return Optional.of(explicit);
        }
        for (AuthFiles.AuthFile file : files().files()) {
            if (!Files.isRegularFile(file.path())) {
                continue;
            }
            Optional<Credentials> found = fromFile(file, registry, repository);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    AuthFiles files() {
        return AuthFiles.locate(env, home, perUserRunFile);
    }

    private Optional<Credentials> fromFile(AuthFiles.AuthFile file, String registry, String repository) {
        String what = file.docker() ? "docker config " : "auth file ";
        JsonNode root;
        try {
            root = Json.readTree(Files.readAllBytes(file.path()), what + file.path());
        } catch (IOException e) {
            throw new AuthException("cannot read " + what + file.path() + ": " + e.getMessage());
        }
        List<String> keys = keysFor(registry);
        JsonNode helpers = root.path("credHelpers");
        for (String key : keys) {
            if (helpers.hasNonNull(key)) {
                return runHelper(helpers.get(key).asText(), serverUrl(registry, key));
            }
        }
        if (file.docker() && root.hasNonNull("credsStore") && !root.get("credsStore").asText().isEmpty()) {
            Optional<Credentials> fromStore = runHelper(root.get("credsStore").asText(), serverUrl(registry, keys.get(0)));
            if (fromStore.isPresent()) {
                return fromStore;
            }
        }
        JsonNode auths = root.path("auths");
        List<String> all = new ArrayList<>(repositoryKeys(registry, repository));
        all.addAll(keys);
        for (String key : all) {
            JsonNode entry = auths.get(key);
            if (entry != null && entry.isObject()) {
                Optional<Credentials> c = fromAuthEntry(entry, registry);
                // containers/image stops at the first key present in a file, even an empty entry.
                if (c.isPresent() || !file.docker()) {
                    return c;
                }
            }
        }
        return Optional.empty();
    }

    Path configFile() {
        return AuthFiles.dockerConfig(env, home);
    }

    /** {@code host/a/b/c}, {@code host/a/b}, {@code host/a}: a repository's keys, most specific first. */
    static List<String> repositoryKeys(String registry, String repository) {
        List<String> keys = new ArrayList<>();
        if (repository == null || repository.isEmpty()) {
            return keys;
        }
        String host = registry.equals("index.docker.io") || registry.equals("registry-1.docker.io") ? "docker.io" : registry;
        String key = host + "/" + repository;
        while (key.length() > host.length()) {
            keys.add(key);
            key = key.substring(0, key.lastIndexOf('/'));
        }
        return keys;
    }

    /** The keys a registry may be stored under, most specific first. */
    static List<String> keysFor(String registry) {
        if (registry.equals("docker.io") || registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            return List.of(DOCKER_HUB_KEY, "index.docker.io", "docker.io", "https://index.docker.io",
                    "registry-1.docker.io", "https://registry-1.docker.io");
        }
        return List.of(registry, "https://" + registry, "http://" + registry, "https://" + registry + "/v1/",
                "https://" + registry + "/v2/", "http://" + registry + "/v1/", "http://" + registry + "/v2/");
    }

    private static String serverUrl(String registry, String matchedKey) {
        return matchedKey.equals(DOCKER_HUB_KEY) || registry.equals("docker.io") ? DOCKER_HUB_KEY : registry;
    }

    private static Optional<Credentials> fromAuthEntry(JsonNode entry, String registry) {
        String identity = entry.path("identitytoken").asText("");
        String user = entry.path("username").asText("");
        String pass = entry.path("password").asText("");
        String auth = entry.path("auth").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new AuthException("docker config: the auth entry for " + registry + " is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new AuthException("docker config: the auth entry for " + registry + " is not USER:PASSWORD");
            }
            user = decoded.substring(0, colon);
            pass = decoded.substring(colon + 1);
        }
        if (!identity.isEmpty()) {
            return Optional.of(Credentials.identityToken(user, identity));
        }
        if (!user.isEmpty() || !pass.isEmpty()) {
            return Optional.of(Credentials.basic(user, pass));
        }
        return Optional.empty();
    }

    /** Runs {@code docker-credential-NAME get}; "credentials not found" means anonymous. */
    private Optional<Credentials> runHelper(String name, String serverUrl) {
        CredentialHelper helper = new CredentialHelper(name, env);
        String program = helper.program();
        CredentialHelper.Result r = helper.run("get", serverUrl.getBytes(StandardCharsets.UTF_8), 1024 * 1024);
        if (r.exitStatus() != 0) {
            if (r.text().trim().toLowerCase(java.util.Locale.ROOT).contains("credentials not found")) {
                return Optional.empty();
            }
            // The helper's output may echo secrets: report only the exit status.
            throw new AuthException("credential helper " + program + " failed with exit status " + r.exitStatus());
        }
        JsonNode node;
        try {
            node = Json.readTree(r.stdout(), "output of " + program);
        } catch (io.krgo.error.UnsafeImageException e) {
            throw new AuthException("credential helper " + program + " printed no valid JSON");
        }
        String user = node.path("Username").asText("");
        String secret = node.path("Secret").asText("");
        if (secret.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(user.equals("<token>") ? Credentials.identityToken("", secret)
                : Credentials.basic(user, secret));
    }
}
