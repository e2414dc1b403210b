package io.krgo.trust;

import io.krgo.error.PolicyException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Signs with the user's GnuPG through the {@code gpg} binary and its agent, as skopeo does through gpgme:
 * keys on smart cards or behind the agent's pinentry work. {@code GNUPGHOME} is honoured as gpg does.
 */
public final class GpgSigner implements Signer {
    private final String key;

    private GpgSigner(String key) {
        this.key = key;
    }

    /** A signer for the secret key {@code key} (a fingerprint), checked now so a push fails before it starts. */
    public static GpgSigner forKey(String key) {
        GpgSigner s = new GpgSigner(key);
        Result r = s.gpg(List.of("--list-secret-keys", "--with-colons", key), null);
        if (r.code() != 0) {
            throw new PolicyException("--sign-by " + key + ": gpg has no such secret key: " + r.error());
        }
        return s;
    }

    @Override
    public String keyName() {
        return key;
    }

    @Override
    public byte[] sign(byte[] payload) {
        Result r = gpg(List.of("--local-user", key, "--sign", "--output", "-"), payload);
        if (r.code() != 0 || r.out().length == 0) {
            throw new PolicyException("gpg could not sign with " + key + ": " + r.error());
        }
        return r.out();
    }

    private record Result(int code, byte[] out, String error) {
    }

    private Result gpg(List<String> args, byte[] stdin) {
        List<String> cmd = new java.util.ArrayList<>(List.of("gpg", "--batch", "--no-tty"));
        cmd.addAll(args);
        Path err = null;
        try {
            err = Files.createTempFile("krgo-gpg", ".err");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            }
            byte[] out;
            try (InputStream o = p.getInputStream()) {
                out = o.readNBytes(Lookaside.MAX_SIGNATURE_BYTES + 1);
            }
            if (!p.waitFor(5, TimeUnit.MINUTES)) { // a pinentry may wait for the user
                p.destroyForcibly();
                throw new PolicyException("gpg did not finish signing within 5 minutes");
            }
            String error = Files.readString(err, StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("exit " + p.exitValue());
            return new Result(p.exitValue(), out, error);
        } catch (IOException e) {
            throw new PolicyException("cannot run gpg (Debian package gnupg) to sign: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PolicyException("interrupted while gpg was signing", e);
        } finally {
            if (err != null) {
                try {
                    Files.deleteIfExists(err);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }
}
