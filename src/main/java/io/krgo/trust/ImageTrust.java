package io.krgo.trust;

import io.krgo.error.PolicyException;
import io.krgo.image.Digest;
import io.krgo.reference.Reference;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether an image may be used, as containers/image's policy evaluation does: the most specific
 * scope of the policy for the image's reference, every requirement of it must hold; a {@code signedBy}
 * requirement holds when one of the image's lookaside signatures is by a trusted key, valid, for the very
 * manifest digest about to be used, with an identity the requirement accepts.
 */
public final class ImageTrust {
    /** One signature as checked: who made it and what it claims (null when unknown), and why it was refused. */
    public record SignatureCheck(int index, String fingerprint, String identity, String manifestDigest, String problem) {
        public boolean accepted() {
            return problem == null;
        }
    }

    /** The outcome for one image: the scope used, the signatures looked at, and the refusal (null: accepted). */
    public record Evaluation(Reference reference, Digest manifestDigest, Policy.Scope scope,
                             List<SignatureCheck> signatures, String refusal) {
        public boolean accepted() {
            return refusal == null;
        }
    }

    private final TrustFiles files;
    private final Clock clock;
    private Policy policy;
    private RegistriesD registriesD;

    public ImageTrust(TrustFiles files, Clock clock) {
        this.files = files;
        this.clock = clock;
    }

    /** No policy at all: every image is accepted, as by docker and crane. */
    public static ImageTrust acceptAnything() {
        return new ImageTrust(TrustFiles.NONE, Clock.systemUTC());
    }

    public TrustFiles files() {
        return files;
    }

    /** The policy, read at first use; empty when there is no policy file. */
    public synchronized Optional<Policy> policy() {
        if (policy == null && files.policy() != null) {
            policy = PolicyParser.read(files.policy());
        }
        return Optional.ofNullable(policy);
    }

    public synchronized RegistriesD registriesD() {
        if (registriesD == null) {
            registriesD = RegistriesD.load(files.registriesD());
        }
        return registriesD;
    }

    /** Throws {@link PolicyException} naming the requirement that failed unless the image is accepted. */
    public Evaluation check(Reference ref, Digest manifestDigest) {
        return check(ref, manifestDigest, SigstoreAttachments.NONE);
    }

    /** As {@link #check(Reference, Digest)}, reading cosign's attachments (when registries.d enables them) with {@code attachments}. */
    public Evaluation check(Reference ref, Digest manifestDigest, SigstoreAttachments.Reader attachments) {
        Evaluation e = evaluate(ref, manifestDigest, attachments);
        if (!e.accepted()) {
            throw new PolicyException(e.refusal());
        }
        return e;
    }

    /**
     * As {@link #check(Reference, Digest, SigstoreAttachments.Reader)}, unless {@code verdictFile} remembers that
     * this image was accepted under the very same policy, registries.d and keys (see {@link Verdicts}); an
     * acceptance is remembered there when the file's directory exists. Returns whether it verified.
     */
    public boolean checkRemembered(Reference ref, Digest manifestDigest, SigstoreAttachments.Reader attachments,
                                   java.nio.file.Path verdictFile) {
        Optional<String> key = verdictKey(ref, manifestDigest);
        if (key.isPresent() && Verdicts.holds(verdictFile, key.get())) {
            return false;
        }
        check(ref, manifestDigest, attachments);
        key.ifPresent(k -> Verdicts.store(verdictFile, k));
        return true;
    }

    /** Remembers in {@code verdictFile} that {@code ref} at {@code manifestDigest} was accepted (after a pull made its directory). */
    public void remember(Reference ref, Digest manifestDigest, java.nio.file.Path verdictFile) {
        verdictKey(ref, manifestDigest).ifPresent(k -> Verdicts.store(verdictFile, k));
    }

    /**
     * Empty when there is nothing worth remembering: no policy, or a scope that reads no signatures
     * ({@code insecureAcceptAnything}, {@code reject}), whose answer costs nothing to compute again.
     */
    private Optional<String> verdictKey(Reference ref, Digest manifestDigest) {
        Optional<Policy> p = policy();
        if (p.isEmpty()) {
            return Optional.empty();
        }
        Policy.Scope scope = p.get().forDocker(ref);
        boolean readsSignatures = scope.requirements().stream()
                .anyMatch(r -> r instanceof Requirement.SignedBy || r instanceof Requirement.SigstoreSigned);
        return readsSignatures ? Optional.of(Verdicts.key(files.policy(), files.registriesD(), scope, ref,
                manifestDigest)) : Optional.empty();
    }

    /** Evaluates the policy for the image {@code ref} whose manifest (or index) digest is {@code manifestDigest}. */
    public Evaluation evaluate(Reference ref, Digest manifestDigest, SigstoreAttachments.Reader attachments) {
        Optional<Policy> p = policy();
        if (p.isEmpty()) {
            return new Evaluation(ref, manifestDigest, null, List.of(), null);
        }
        Policy.Scope scope = p.get().forDocker(ref);
        List<SignatureCheck> checks = new ArrayList<>();
        List<byte[]> signatures = null;
        List<SigstoreAttachments.Attached> attached = null;
        for (Requirement r : scope.requirements()) {
            String failure = null;
            if (r instanceof Requirement.Reject) {
                failure = "rejected by policy";
            } else if (r instanceof Requirement.SignedBy s) {
                if (signatures == null) {
                    signatures = signatures(ref, manifestDigest);
                }
                failure = signedBy(s, p.get(), ref, manifestDigest, signatures, checks);
            } else if (r instanceof Requirement.SigstoreSigned s) {
                if (!s.keyless().isEmpty()) {
                    failure = "keyless sigstore signatures (" + String.join(", ", s.keyless()) + ") are not verified"
                            + " by krgo yet, so the image cannot be accepted";
                } else {
                    if (attached == null) {
                        attached = registriesD().useSigstoreAttachments(ref)
                                ? attachments.read(ref, manifestDigest) : List.of();
                    }
                    failure = attached.isEmpty() ? noAttachments(ref, manifestDigest, attachments)
                            : sigstoreSigned(s, p.get(), ref, manifestDigest, attached, checks);
                }
            }
            if (failure != null) {
                return new Evaluation(ref, manifestDigest, scope, checks, "refused " + ref + ": " + failure + " (policy "
                        + p.get().source() + ", " + scope.describe() + ", requirement " + r.type() + ")");
            }
        }
        return new Evaluation(ref, manifestDigest, scope, checks, null);
    }

    /**
     * Checks an image of the OCI layout {@code dir} (tag {@code name}, null: its only image) under the policy's
     * {@code oci} transport. A layout carries no signatures, so only requirements that need none can hold.
     */
    public void checkLayout(java.nio.file.Path dir, String name) {
        Optional<Policy> p = policy();
        if (p.isEmpty()) {
            return;
        }
        Policy.Scope scope = p.get().forOciLayout(dir, name);
        for (Requirement r : scope.requirements()) {
            if (!(r instanceof Requirement.InsecureAcceptAnything)) {
                String why = r instanceof Requirement.Reject ? "rejected by policy"
                        : "signature required, but an OCI layout carries none krgo can read";
                throw new PolicyException("refused oci:" + dir + (name == null ? "" : ":" + name) + ": " + why
                        + " (policy " + p.get().source() + ", " + scope.describe() + ", requirement " + r.type() + ")");
            }
        }
    }

    /**
     * Where a signature of an image pushed to {@code target} goes: registries.d's {@code lookaside-staging}
     * (else {@code lookaside}) for it, which must be {@code file://}. Asked before pushing, so a push that
     * cannot store its signature does not start.
     */
    public java.net.URI signatureStore(Reference target) {
        java.net.URI base = registriesD().lookaside(target, true).orElseThrow(() -> new PolicyException(
                "no lookaside-staging (or lookaside) for " + target.registry() + "/" + target.repository()
                        + " in registries.d " + files.registriesD() + ": nowhere to store the signature"));
        if (!"file".equals(base.getScheme())) {
            throw new PolicyException("lookaside-staging " + base + " for " + target + " is not file://: krgo writes"
                    + " signatures to local directories only (publish them to the web server from there)");
        }
        return base;
    }

    /**
     * Signs that {@code digest} is {@code identity} (a docker reference, normally {@code target} itself) and
     * stores the signature as the next {@code signature-N} of {@code target}'s repository.
     */
    public java.nio.file.Path sign(Signer signer, Reference target, String identity, Digest digest, String creator) {
        java.net.URI base = signatureStore(target);
        SimpleSigning payload = new SimpleSigning(SimpleSigning.ATOMIC, digest.toString(), identity, creator,
                clock.instant().getEpochSecond());
        return Lookaside.append(base, target.repository(), digest, signer.sign(payload.toJson()));
    }

    /**
     * Asked before pushing with a cosign key: registries.d must enable {@code use-sigstore-attachments} for
     * {@code target}, as containers/image requires for writing them (and its readers, krgo's included, for
     * reading them).
     */
    public void checkAttachmentsEnabled(Reference target) {
        if (!registriesD().useSigstoreAttachments(target)) {
            throw new PolicyException("use-sigstore-attachments is not enabled for " + target.registry() + "/"
                    + target.repository() + " in registries.d " + files.registriesD() + ": the cosign signature"
                    + " would not be read by anyone (add `use-sigstore-attachments: true` for it)");
        }
    }

    /**
     * Signs with a cosign key that {@code digest} is {@code identity} and appends the signature to the
     * {@code sha256-HEX.sig} manifest in {@code target}'s repository, through {@code client}. Returns that tag.
     */
    public String signAttached(io.krgo.registry.RegistryClient client, CosignSigner signer, Reference target,
                               String identity, Digest digest, String creator) {
        SimpleSigning payload = new SimpleSigning(SimpleSigning.COSIGN, digest.toString(), identity, creator,
                clock.instant().getEpochSecond());
        byte[] json = payload.toJson();
        return SigstoreAttachments.append(client, target, digest, json, signer.sign(json));
    }

    private List<byte[]> signatures(Reference ref, Digest digest) {
        Optional<java.net.URI> base = registriesD().lookaside(ref, false);
        return base.isEmpty() ? List.of() : Lookaside.read(base.get(), ref.repository(), digest);
    }

    /** Null when one signature satisfies {@code req}; else why none does. Records each check in {@code checks}. */
    private String signedBy(Requirement.SignedBy req, Policy policy, Reference ref, Digest digest,
                            List<byte[]> signatures, List<SignatureCheck> checks) {
        if (signatures.isEmpty()) {
            boolean configured = registriesD().lookaside(ref, false).isPresent();
            return "signature required, but none exists" + (configured ? ""
                    : " (no lookaside for " + ref.registry() + "/" + ref.repository() + " in registries.d "
                        + files.registriesD() + ")");
        }
        PgpKeyring keys = PgpKeyring.load(req.keyPaths(), req.keyData(), policy.source());
        List<String> reasons = new ArrayList<>();
        boolean accepted = false;
        for (int i = 0; i < signatures.size(); i++) { // all of them, so that verify can show each
            SignatureCheck c = checkOne(i + 1, signatures.get(i), keys, req.signedIdentity(), ref, digest);
            checks.add(c);
            accepted |= c.accepted();
            if (!c.accepted()) {
                reasons.add(signatures.size() == 1 ? c.problem() : "signature-" + (i + 1) + ": " + c.problem());
            }
        }
        return accepted ? null : reasons.size() == 1 ? reasons.get(0)
                : "none of the " + reasons.size() + " signatures is accepted: " + String.join("; ", reasons);
    }

    /**
     * Why no {@code .sig} signature means refusal: none at all, or only signatures in a format krgo does not
     * verify (cosign 3 attaches sigstore bundles as OCI 1.1 referrers by default), named so.
     */
    private String noAttachments(Reference ref, Digest digest, SigstoreAttachments.Reader attachments) {
        List<String> bundles = attachments.referrerTypes(ref, digest).stream()
                .filter(t -> t.startsWith(SigstoreAttachments.BUNDLE_TYPE_PREFIX)).toList();
        if (!bundles.isEmpty()) {
            return "cosign signature required, but the image has only a sigstore bundle (" + String.join(", ", bundles)
                    + ") attached as an OCI 1.1 referrer, a format krgo does not verify yet (krgo verifies cosign"
                    + " key-pair signatures at the sha256-HEX.sig tag)";
        }
        return "cosign signature required, but none exists" + (registriesD().useSigstoreAttachments(ref) ? ""
                : " (use-sigstore-attachments is not enabled for " + ref.registry() + "/" + ref.repository()
                    + " in registries.d " + files.registriesD() + ")");
    }

    /** Null when one cosign signature satisfies {@code req}; else why none does. */
    private String sigstoreSigned(Requirement.SigstoreSigned req, Policy policy, Reference ref, Digest digest,
                                  List<SigstoreAttachments.Attached> attached, List<SignatureCheck> checks) {
        CosignVerifier keys = CosignVerifier.load(req.keyPaths(), req.keyData(), policy.source());
        List<String> reasons = new ArrayList<>();
        boolean accepted = false;
        for (int i = 0; i < attached.size(); i++) {
            SignatureCheck c;
            try {
                String key = keys.verify(attached.get(i).payload(), attached.get(i).signature());
                c = judge(i + 1, key, SimpleSigning.parse(attached.get(i).payload(), SimpleSigning.COSIGN),
                        req.signedIdentity(), ref, digest);
            } catch (PolicyException e) {
                c = new SignatureCheck(i + 1, null, null, null, e.getMessage());
            }
            checks.add(c);
            accepted |= c.accepted();
            if (!c.accepted()) {
                reasons.add(attached.size() == 1 ? c.problem() : "cosign signature " + (i + 1) + ": " + c.problem());
            }
        }
        return accepted ? null : reasons.size() == 1 ? reasons.get(0)
                : "none of the " + reasons.size() + " cosign signatures is accepted: " + String.join("; ", reasons);
    }

    private SignatureCheck checkOne(int index, byte[] blob, PgpKeyring keys, SignedIdentity identity,
                                    Reference ref, Digest digest) {
        PgpVerifier.Verified v;
        SimpleSigning payload;
        try {
            v = PgpVerifier.verify(simpleSigningBlob(blob), keys, clock.instant());
            payload = SimpleSigning.parse(v.content(), SimpleSigning.ATOMIC);
        } catch (PolicyException e) {
            return new SignatureCheck(index, null, null, null, e.getMessage());
        }
        return judge(index, v.primaryFingerprint(), payload, identity, ref, digest);
    }

    /** A verified payload by key {@code fpr}: accepted when its digest and identity are right. */
    private static SignatureCheck judge(int index, String fpr, SimpleSigning payload, SignedIdentity identity,
                                        Reference ref, Digest digest) {
        if (!payload.manifestDigest().equals(digest.toString())) {
            return new SignatureCheck(index, fpr, payload.identity(), payload.manifestDigest(),
                    "signature for manifest digest " + payload.manifestDigest() + " does not match the image's "
                            + digest);
        }
        Optional<DockerName> signed = DockerName.parse(payload.identity());
        if (signed.isEmpty() || !identity.matches(DockerName.of(ref), signed.get())) {
            return new SignatureCheck(index, fpr, payload.identity(), payload.manifestDigest(),
                    "signature for identity " + payload.identity() + " is not accepted for " + ref
                            + " (signedIdentity " + identity.type() + ")");
        }
        return new SignatureCheck(index, fpr, payload.identity(), payload.manifestDigest(), null);
    }

    /**
     * The OpenPGP message of a lookaside blob: a plain one, or containers/image's newer framing
     * {@code \0simple-signing\n...}; other framed formats are refused by name.
     */
    private static byte[] simpleSigningBlob(byte[] blob) {
        if (blob.length == 0 || blob[0] != 0) {
            return blob;
        }
        int nl = -1;
        for (int i = 1; i < Math.min(blob.length, 64); i++) {
            if (blob[i] == '\n') {
                nl = i;
                break;
            }
        }
        String format = nl < 0 ? "?" : new String(blob, 1, nl - 1, StandardCharsets.US_ASCII);
        if (!format.equals("simple-signing")) {
            throw new PolicyException("a signature in the \"" + format + "\" format, which signedBy does not accept");
        }
        return java.util.Arrays.copyOfRange(blob, nl + 1, blob.length);
    }
}
