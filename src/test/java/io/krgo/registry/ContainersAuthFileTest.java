package io.krgo.registry;

import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** containers-auth.json files: which files, in which order, and per-repository keys (containers/image's rules). */
class ContainersAuthFileTest {
    private Path root;
    private Path home;
    private Path runtimeDir;
    private Path explicit;
    private Path perUser;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory("krgo-authfiles");
        home = Files.createDirectories(root.resolve("home"));
        runtimeDir = Files.createDirectories(root.resolve("run-user"));
        explicit = root.resolve("explicit.json");
        perUser = root.resolve("run-containers-uid/auth.json");
    }

    @AfterEach
    void tearDown() {
        Tools.deleteTree(root);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {"auths": {key: {"auth": base64(user:pass)}, ...}} from key, user:pass pairs. */
    private static void auths(Path file, String... keyAndPair) throws IOException {
        StringBuilder json = new StringBuilder("{\"auths\":{");
        for (int i = 0; i < keyAndPair.length; i += 2) {
            json.append(i == 0 ? "" : ",").append('"').append(keyAndPair[i]).append("\":{\"auth\":\"")
                    .append(b64(keyAndPair[i + 1])).append("\"}");
        }
        Files.createDirectories(file.getParent());
        Files.writeString(file, json.append("}}"));
    }

    private Path xdgFile() {
        return runtimeDir.resolve("containers/auth.json");
    }

    private Path configHomeFile() {
        return home.resolve(".config/containers/auth.json");
    }

    private Path dockerFile() {
        return home.resolve(".docker/config.json");
    }

    private CredentialResolver resolver(boolean withRuntimeDir, boolean withExplicit) {
        Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin:/bin"));
        if (withRuntimeDir) {
            env.put("XDG_RUNTIME_DIR", runtimeDir.toString());
        }
        if (withExplicit) {
            env.put("REGISTRY_AUTH_FILE", explicit.toString());
        }
        return new CredentialResolver(env, home, perUser);
    }

    private static String user(CredentialResolver r, String registry, String repository) {
        return r.resolve(registry, repository, null).map(Credentials::username).orElse("<anonymous>");
    }

    @Test
    void filesAreSearchedInContainersImageOrder() throws IOException {
        auths(dockerFile(), "reg.example", "docker:p");
        assertThat(user(resolver(true, false), "reg.example", "team/app")).isEqualTo("docker");
        auths(configHomeFile(), "reg.example", "confighome:p");
        assertThat(user(resolver(true, false), "reg.example", "team/app")).isEqualTo("confighome");
        auths(xdgFile(), "reg.example", "runtime:p");
        assertThat(user(resolver(true, false), "reg.example", "team/app")).isEqualTo("runtime");
        // without XDG_RUNTIME_DIR the per-user /run/containers/UID file takes its place
        assertThat(user(resolver(false, false), "reg.example", "team/app")).isEqualTo("confighome");
        auths(perUser, "reg.example", "peruser:p");
        assertThat(user(resolver(false, false), "reg.example", "team/app")).isEqualTo("peruser");
        // a file without this registry passes the search on
        auths(xdgFile(), "other.example", "x:y");
        assertThat(user(resolver(true, false), "reg.example", "team/app")).isEqualTo("confighome");
    }

    @Test
    void registryAuthFileIsTheOnlyFileReadWhenSet() throws IOException {
        auths(xdgFile(), "reg.example", "runtime:p");
        auths(configHomeFile(), "reg.example", "confighome:p");
        auths(dockerFile(), "reg.example", "docker:p");
        auths(explicit, "reg.example", "explicit:p");
        assertThat(user(resolver(true, true), "reg.example", "team/app")).isEqualTo("explicit");
        auths(explicit, "other.example", "explicit:p");
        assertThat(user(resolver(true, true), "reg.example", "team/app")).isEqualTo("<anonymous>");
        Files.delete(explicit);
        assertThat(user(resolver(true, true), "reg.example", "team/app")).isEqualTo("<anonymous>");
        assertThat(resolver(true, true).files().files()).extracting(AuthFiles.AuthFile::path).containsExactly(explicit);
    }

    @Test
    void theLongestRepositoryPrefixWinsThenTheHost() throws IOException {
        auths(xdgFile(),
                "reg.example:5000", "host:p",
                "reg.example:5000/team", "team:p",
                "reg.example:5000/team/app", "app:p",
                "reg.example:5000/team/app/sub", "sub:p",
                "reg.example:5000/te", "not-a-path-prefix:p");
        CredentialResolver r = resolver(true, false);
        assertThat(user(r, "reg.example:5000", "team/app/sub")).isEqualTo("sub");
        assertThat(user(r, "reg.example:5000", "team/app")).isEqualTo("app");
        assertThat(user(r, "reg.example:5000", "team/other")).isEqualTo("team");
        assertThat(user(r, "reg.example:5000", "team")).isEqualTo("team");
        assertThat(user(r, "reg.example:5000", "tea/x")).isEqualTo("host");
        assertThat(user(r, "reg.example:5000", null)).isEqualTo("host");
        // the same host without the port is another registry
        assertThat(user(r, "reg.example", "team/app")).isEqualTo("<anonymous>");
    }

    @Test
    void dockerHubRepositoriesUseDockerIoKeys() throws IOException {
        auths(configHomeFile(), "docker.io", "hub:p", "docker.io/library/alpine", "alpine:p");
        CredentialResolver r = resolver(true, false);
        assertThat(user(r, "docker.io", "library/alpine")).isEqualTo("alpine");
        assertThat(user(r, "docker.io", "library/debian")).isEqualTo("hub");
    }

    @Test
    void anEarlierFileWinsEvenOverAMoreSpecificKeyInALaterOne() throws IOException {
        auths(xdgFile(), "reg.example", "runtime-host:p");
        auths(configHomeFile(), "reg.example/team/app", "confighome-repo:p");
        assertThat(user(resolver(true, false), "reg.example", "team/app")).isEqualTo("runtime-host");
    }

    @Test
    void dockerConfigAlsoAcceptsRepositoryKeys() throws IOException {
        auths(dockerFile(), "reg.example", "host:p", "reg.example/team/app", "repo:p");
        assertThat(user(resolver(true, false), "reg.example", "team/app")).isEqualTo("repo");
        assertThat(user(resolver(true, false), "reg.example", "team/db")).isEqualTo("host");
    }

    @Test
    void credHelpersInAnAuthFileComeBeforeItsAuths() throws IOException {
        Path bin = Files.createDirectories(root.resolve("bin"));
        Path helper = bin.resolve("docker-credential-fromhelper");
        Files.writeString(helper, "#!/bin/sh\nread -r s\necho '{\"Username\":\"helper\",\"Secret\":\"pw\"}'\n");
        helper.toFile().setExecutable(true);
        Files.createDirectories(xdgFile().getParent());
        Files.writeString(xdgFile(), "{\"credHelpers\":{\"reg.example\":\"fromhelper\"},"
                + "\"auths\":{\"reg.example/team/app\":{\"auth\":\"" + b64("repo:p") + "\"}}}");
        CredentialResolver r = new CredentialResolver(
                Map.of("PATH", bin + ":/usr/bin:/bin", "XDG_RUNTIME_DIR", runtimeDir.toString()), home, null);
        assertThat(r.resolve("reg.example", "team/app", null)).contains(Credentials.basic("helper", "pw"));
    }

    @Test
    void repositoryKeysMostSpecificFirst() {
        assertThat(CredentialResolver.repositoryKeys("h:1", "a/b/c"))
                .isEqualTo(List.of("h:1/a/b/c", "h:1/a/b", "h:1/a"));
        assertThat(CredentialResolver.repositoryKeys("h", null)).isEmpty();
    }
}
