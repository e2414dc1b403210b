package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.registry.Credentials;
import io.krgo.registry.RegistryOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Flags every command that talks to a registry shares. */
final class RegistryFlags {
    @Option(names = {"-u", "--user"}, paramLabel = "USER[:PASS]",
            description = "Registry credentials. USER:PASS is visible to other users in `ps`;"
                    + " prefer -u USER --password-stdin, or `~/.docker/config.json`.")
    String user;

    @Option(names = "--password-stdin", description = "Read the password (or token) from standard input.")
    boolean passwordStdin;

    @Option(names = "--insecure",
            description = "Allow plain HTTP to a registry that is not on this machine (loopback is always allowed).")
    boolean insecure;

    @Mixin
    NetworkFlags network = new NetworkFlags();

    /** The registry options these flags ask for; reads the password from {@code stdin} when told to. */
    RegistryOptions toOptions(InputStream stdin) {
        Credentials credentials = null;
        if (passwordStdin) {
            if (user == null || user.contains(":")) {
                throw new UsageException("--password-stdin needs -u USER (without a password)");
            }
            credentials = Credentials.basic(user, readPasswordLine(stdin));
        } else if (user != null) {
            if (!user.contains(":")) {
                throw new UsageException("-u needs USER:PASS, or -u USER with --password-stdin");
            }
            credentials = Credentials.parseUserColonPassword(user);
        }
        return network.apply(RegistryOptions.defaults().withCredentials(credentials)
                .withInsecure(insecure));
    }

    /** The first line of {@code stdin}, stripped; fails when there is none or it is empty. */
    static String readPasswordLine(InputStream stdin) {
        try {
            String line = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw new UsageException("--password-stdin: nothing on standard input");
            }
            return line.strip();
        } catch (IOException e) {
            throw new UsageException("--password-stdin: cannot read standard input: " + e.getMessage());
        }
    }
}
