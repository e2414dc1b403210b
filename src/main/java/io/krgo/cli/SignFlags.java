package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.image.Digest;
import io.krgo.reference.Reference;
import io.krgo.Krgo;
import io.krgo.trust.CosignSigner;
import io.krgo.trust.GpgSigner;
import io.krgo.trust.ImageTrust;
import io.krgo.trust.PgpSigner;
import io.krgo.trust.Signer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Signing what push and copy write: OpenPGP simple signing (stored in registries.d's lookaside-staging) and
 * cosign key-pair signatures (appended to the image's {@code sha256-HEX.sig} tag).
 */
final class SignFlags {
    @Option(names = "--sign-by", paramLabel = "FINGERPRINT",
            description = "Sign the pushed manifest with this GnuPG key, through the gpg binary and its agent.")
    String signBy;

    @Option(names = "--sign-by-key", paramLabel = "FILE",
            description = "Sign with the armored OpenPGP secret key in FILE (gpg --export-secret-keys --armor),"
                    + " without gpg.")
    Path signByKey;

    @Option(names = "--sign-by-sigstore-private-key", paramLabel = "FILE",
            description = "Sign with the cosign key pair's private key in FILE (cosign generate-key-pair; encrypted)."
                    + " The signature is appended to the sha256-HEX.sig tag beside the image.")
    Path sigstoreKey;

    @Option(names = "--sign-passphrase-file", paramLabel = "FILE",
            description = "The passphrase of --sign-by-key's or --sign-by-sigstore-private-key's key: the first"
                    + " line of FILE.")
    Path passphraseFile;

    @Option(names = "--sign-identity", paramLabel = "REFERENCE",
            description = "The identity to sign (default: the destination reference), e.g. the name users pull by.")
    String identity;

    /** The signers asked for, keys read and unlocked now (a wrong passphrase fails before anything is pushed). */
    record Signers(Signer openPgp, CosignSigner cosign) {
        boolean any() {
            return openPgp != null || cosign != null;
        }
    }

    /** The signers asked for (checked now: key present, passphrase right); none when not signing. */
    Signers signers() {
        if (signBy != null && signByKey != null) {
            throw new UsageException("--sign-by and --sign-by-key exclude each other");
        }
        boolean keyFile = signByKey != null || sigstoreKey != null;
        if ((passphraseFile != null && !keyFile) || (identity != null && signBy == null && !keyFile)) {
            throw new UsageException((passphraseFile != null ? "--sign-passphrase-file" : "--sign-identity")
                    + " needs --sign-by-key or --sign-by-sigstore-private-key" + (passphraseFile != null ? ""
                    : " or --sign-by"));
        }
        Signer openPgp = signBy != null ? GpgSigner.forKey(signBy)
                : signByKey != null ? PgpSigner.fromFile(signByKey, new String(passphrase(), StandardCharsets.UTF_8)
                        .toCharArray()) : null;
        CosignSigner cosign = sigstoreKey == null ? null : CosignSigner.fromFile(sigstoreKey, passphrase());
        return new Signers(openPgp, cosign);
    }

    /** The first line of the passphrase file, as skopeo reads it; empty without one. */
    private byte[] passphrase() {
        if (passphraseFile == null) {
            return new byte[0];
        }
        try {
            String text = Files.readString(passphraseFile, StandardCharsets.UTF_8);
            return text.lines().findFirst().orElse("").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("--sign-passphrase-file " + passphraseFile + ": cannot read: " + e.getMessage());
        }
    }

    /** Before pushing: fails when a signature would have nowhere to go. */
    static void prepare(ImageTrust trust, Signers signers, Reference target) {
        if (signers.openPgp() != null) {
            trust.signatureStore(target);
        }
        if (signers.cosign() != null) {
            trust.checkAttachmentsEnabled(target);
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

    /** A signature stored: by which key, where, and its key in push's and copy's JSON output. */
    record Signed(String jsonKey, String keyName, String where) {
    }

    /**
     * Signs {@code digests} pushed to {@code target} with each signer: the pushed manifest first, then, for an
     * index, each of its images, as skopeo copy --all --sign-by does (containers/image checks the image's own
     * signature when it pulls from an index). Returns the signatures stored.
     */
    static java.util.List<Signed> sign(Krgo krgo, Signers signers, SignFlags flags, Reference target,
                                       java.util.List<String> digests, io.krgo.registry.RegistryOptions options) {
        java.util.List<Signed> stored = new java.util.ArrayList<>();
        String creator = "krgo " + java.util.Objects.requireNonNullElse(
                Main.class.getPackage().getImplementationVersion(), "dev");
        for (String digest : digests) {
            if (signers.openPgp() != null) {
                Path file = krgo.trust().sign(signers.openPgp(), target, flags.identityFor(target),
                        Digest.parse(digest), creator);
                stored.add(new Signed("signature", signers.openPgp().keyName(), file.toString()));
            }
            if (signers.cosign() != null) {
                String tag = krgo.signAttached(signers.cosign(), target, flags.identityFor(target),
                        Digest.parse(digest), creator, options);
                stored.add(new Signed("sigstoreSignature", signers.cosign().keyName(), target.registry() + "/"
                        + target.repository() + ":" + tag));
            }
        }
        return stored;
    }

    /** The digests push and copy sign: the manifest pushed and, for an index, the images it lists. */
    static java.util.List<String> signedDigests(Krgo krgo, Reference target, io.krgo.image.Descriptor pushed,
                                                io.krgo.registry.RegistryOptions options) {
        java.util.List<String> digests = new java.util.ArrayList<>(java.util.List.of(pushed.digest()));
        if (io.krgo.image.MediaTypes.isIndex(pushed.mediaType())) {
            krgo.inspect(target.withDigest(pushed.digest()), null, options).index().orElseThrow().manifests()
                    .forEach(m -> digests.add(m.digest()));
        }
        return digests;
    }

    /** What push and copy print: the result, plus where the signatures went. */
    static void report(Output out, boolean json, java.util.List<Signed> signed, java.util.Map<String, Object> result) {
        for (Signed s : signed) {
            out.info("Signed by " + s.keyName() + ": " + s.where());
            result.putIfAbsent(s.jsonKey(), s.where()); // the pushed manifest's
        }
        if (signed.size() > 1) {
            result.put("signatures", signed.stream().map(Signed::where).toList());
        }
        if (json) {
            out.json(result);
        }
    }
}
