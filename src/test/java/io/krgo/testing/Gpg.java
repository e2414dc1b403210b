package io.krgo.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The real signer GnuPG (Debian package gnupg) in a temporary GNUPGHOME; close() stops its agent. */
public final class Gpg implements AutoCloseable {
    private final Path home;

    private Gpg(Path home) {
        this.home = home;
    }

    /** A new, empty GNUPGHOME in {@code dir} (kept short: the agent's socket path has a length limit). */
    public static Gpg start(Path dir) {
        Tools.require("gpg", "gnupg");
        try {
            Path home = Files.createDirectories(dir.resolve("gnupg"));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
            return new Gpg(home);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public Path home() {
        return home;
    }

    /** GNUPGHOME for programs that sign through this keyring (skopeo, krgo --sign-by). */
    public Map<String, String> env() {
        return Map.of("GNUPGHOME", home.toString());
    }

    /** Runs gpg with this home; fails the test when it fails. Returns its stdout. */
    public String run(String... args) {
        Tools.Result r = runAllowingFailure(args);
        if (r.exitCode() != 0) {
            throw new AssertionError("gpg " + String.join(" ", args) + " failed: " + r.stderr());
        }
        return r.stdout();
    }

    public Tools.Result runAllowingFailure(String... args) {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback"));
        cmd.addAll(List.of(args));
        return Tools.runAllowingFailure(cmd, env());
    }

    /**
     * Makes a key for signing (without passphrase unless {@code extra} gives one) and returns its fingerprint; {@code algo} as gpg's
     * --quick-gen-key takes it ({@code ed25519}, {@code rsa3072}, {@code nistp256}), {@code expire} e.g. never.
     */
    public String generate(String email, String algo, String expire, String... extra) {
        List<String> args = new ArrayList<>(List.of(extra));
        if (!args.contains("--passphrase")) {
            args.addAll(List.of("--passphrase", ""));
        }
        args.addAll(List.of("--quick-gen-key", "Test <" + email + ">", algo, "sign", expire));
        run(args.toArray(String[]::new));
        return fingerprint(email);
    }

    public String fingerprint(String email) {
        for (String line : run("--with-colons", "--list-keys", email).split("\n")) {
            if (line.startsWith("fpr:")) {
                return line.split(":")[9];
            }
        }
        throw new AssertionError("no fingerprint for " + email);
    }

    /** Writes the public key {@code fpr} to {@code file} as {@code gpg --export} does (binary, or armored). */
    public Path exportPublic(String fpr, Path file, boolean armor) {
        List<String> args = new ArrayList<>(List.of("--yes", "--output", file.toString()));
        if (armor) {
            args.add("--armor");
        }
        args.addAll(List.of("--export", fpr));
        run(args.toArray(String[]::new));
        return file;
    }

    /** Writes the secret key {@code fpr}, armored, as {@code gpg --export-secret-keys --armor}. */
    public Path exportSecret(String fpr, Path file) {
        run("--passphrase", "", "--output", file.toString(), "--armor", "--export-secret-keys", fpr);
        return file;
    }

    /** {@code gpg --sign} of {@code content} by {@code fpr}: an OpenPGP signed message, as skopeo writes. */
    public byte[] sign(String fpr, byte[] content, String... extra) {
        try {
            Path in = Files.createTempFile(home, "payload", ".json");
            Path out = home.resolve(in.getFileName() + ".sig");
            Files.write(in, content);
            List<String> args = new ArrayList<>(List.of(extra));
            args.addAll(List.of("--local-user", fpr, "--output", out.toString(), "--sign", in.toString()));
            run(args.toArray(String[]::new));
            byte[] sig = Files.readAllBytes(out);
            Files.delete(in);
            Files.delete(out);
            return sig;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        Tools.runAllowingFailure(List.of("gpgconf", "--kill", "all"), env());
    }
}
