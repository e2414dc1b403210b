package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.error.UsageException;
import io.krgo.registry.Credentials;
import io.krgo.registry.DockerConfig;
import io.krgo.registry.RegistryOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.Console;
import java.util.concurrent.Callable;

@Command(name = "login", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Check credentials against REGISTRY and store them in the Docker config"
                + " ($DOCKER_CONFIG/config.json or ~/.docker/config.json, mode 0600), or in its credsStore helper.",
        footer = {"", "Examples:",
                "  krgo login registry.example.com -u me       # asks for the password",
                "  echo \"$TOKEN\" | krgo login ghcr.io -u me --password-stdin",
                "  krgo login docker.io -u me --password-stdin < pw.txt"})
final class LoginCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REGISTRY", description = "Registry host[:port], e.g. ghcr.io, docker.io.")
    String registry;

    @Option(names = {"-u", "--username"}, paramLabel = "USER", description = "User name (asked for when left out).")
    String user;

    @Option(names = "--password-stdin", description = "Read the password (or token) from standard input.")
    boolean passwordStdin;

    @Option(names = "--insecure",
            description = "Allow plain HTTP to a registry that is not on this machine (loopback is always allowed).")
    boolean insecure;

    @picocli.CommandLine.Mixin
    NetworkFlags network = new NetworkFlags();

    @Override
    public Integer call() {
        String name = normalize(registry);
        Console console = Terminal.interactive() ? System.console() : null;
        String username = user;
        if (username == null) {
            if (console == null) {
                throw new UsageException("login needs -u USER when not run on a terminal");
            }
            username = console.readLine("Username: ");
            if (username == null || username.isBlank()) {
                throw new UsageException("no user name given");
            }
            username = username.strip();
        }
        String password;
        if (passwordStdin) {
            password = RegistryFlags.readPasswordLine(System.in);
            // login refuses a line of blanks too, which RegistryFlags passes on as an empty password
            if (password.isEmpty()) {
                throw new UsageException("--password-stdin: nothing on standard input");
            }
        } else {
            if (console == null) {
                throw new UsageException("login needs --password-stdin when not run on a terminal");
            }
            char[] pw = console.readPassword("Password: ");
            if (pw == null || pw.length == 0) {
                throw new UsageException("no password given");
            }
            password = new String(pw);
        }
        Credentials credentials = Credentials.basic(username, password);
        try (Krgo krgo = Krgo.withDefaults()) {
            krgo.checkLogin(name, credentials, network.apply(RegistryOptions.defaults().withInsecure(insecure)));
        }
        String where = DockerConfig.fromSystem().store(name, credentials);
        Output.forStdout(false).always("Login succeeded: credentials for " + name + " stored in " + where);
        return ExitCodes.OK;
    }

    /** Registry names as references write them: {@code https://x/} → {@code x}; Docker Hub's aliases → docker.io. */
    static String normalize(String registry) {
        String r = registry.strip();
        r = r.replaceFirst("^[a-zA-Z]+://", "");
        int slash = r.indexOf('/');
        if (slash >= 0) {
            r = r.substring(0, slash);
        }
        if (r.isEmpty()) {
            throw new UsageException("invalid registry '" + registry + "'");
        }
        if (r.equals("index.docker.io") || r.equals("registry-1.docker.io")) {
            return "docker.io";
        }
        return r;
    }
}
