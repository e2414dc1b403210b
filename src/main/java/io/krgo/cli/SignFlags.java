package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.image.Digest;
import io.krgo.reference.Reference;
import io.krgo.trust.GpgSigner;
import io.krgo.trust.ImageTrust;
import io.krgo.trust.PgpSigner;
import io.krgo.trust.Signer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Signing what push and copy write (simple signing, stored in registries.d's lookaside-staging). */
final class SignFlags {
    @Option(names = "--sign-by", paramLabel = "FINGERPRINT",
            description = "Sign the pushed manifest with this GnuPG key, through the gpg binary and its agent.")
    String signBy;

    @Option(names = "--sign-by-key", paramLabel = "FILE",
            description = "Sign with the armored OpenPGP secret key in FILE (gpg --export-secret-keys --armor),"
                    + " without gpg.")
    Path signByKey;

    @Option(names = "--sign-passphrase-file", paramLabel = "FILE",
            description = "The passphrase of --sign-by-key's key: the first line of FILE.")
    Path passphraseFile;

    @Option(names = "--sign-identity", paramLabel = "REFERENCE",
            description = "The identity to sign (default: the destination reference), e.g. the name users pull by.")
    String identity;

    /** The signer asked for (checked now: key present, passphrase right), or null when not signing. */
    Signer signer() {
        if (signBy != null && signByKey != null) {
            throw new UsageException("--sign-by and --sign-by-key exclude each other");
        }
        if ((passphraseFile != null && signByKey == null) || (identity != null && signBy == null && signByKey == null)) {
            throw new UsageException((passphraseFile != null ? "--sign-passphrase-file" : "--sign-identity")
                    + " needs --sign-by-key" + (passphraseFile != null ? "" : " or --sign-by"));
        }
        if (signBy != null) {
            return GpgSigner.forKey(signBy);
        }
        if (signByKey != null) {
            return PgpSigner.fromFile(signByKey, passphrase());
        }
        return null;
    }

    private char[] passphrase() {
        if (passphraseFile == null) {
            return new char[0];
        }
        try {
            String text = Files.readString(passphraseFile, StandardCharsets.UTF_8);
            return text.lines().findFirst().orElse("").toCharArray();
        } catch (IOException e) {
            throw new UsageException("--sign-passphrase-file " + passphraseFile + ": cannot read: " + e.getMessage());
        }
    }

    /** The signed identity for an image pushed to {@code target}. */
    String identityFor(Reference target) {
        if (identity == null) {
            return target.registry() + "/" + target.repository() + ":" + target.tag();
        }
        Reference r = Reference.parse(identity);
        if (r.digest() != null) {
            throw new UsageException("--sign-identity must be a tag reference, not a digest: " + identity);
        }
        return r.registry() + "/" + r.repository() + ":" + r.tag();
    }

    /** Signs {@code digest} pushed to {@code target}; returns where the signature was stored. */
    static Path sign(ImageTrust trust, Signer signer, SignFlags flags, Reference target, String digest) {
        return trust.sign(signer, target, flags.identityFor(target), Digest.parse(digest),
                "krgo " + java.util.Objects.requireNonNullElse(Main.class.getPackage().getImplementationVersion(), "dev"));
    }

    /** What push and copy print: the result, plus where the signature went. */
    static void report(Output out, boolean json, Signer signer, Path signature, java.util.Map<String, Object> result) {
        if (signature != null) {
            out.info("Signed by " + signer.keyName() + ": " + signature);
            result.put("signature", signature.toString());
        }
        if (json) {
            out.json(result);
        }
    }
}
