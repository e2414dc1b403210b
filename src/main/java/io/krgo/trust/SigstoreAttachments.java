package io.krgo.trust;

import io.krgo.error.NotFoundException;
import io.krgo.error.PolicyException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Manifest;
import io.krgo.reference.Reference;
import io.krgo.registry.RawManifest;
import io.krgo.registry.RegistryClient;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * cosign's signatures stored in the registry itself: the manifest tagged {@code sha256-HEX.sig} in the
 * image's repository, one layer per signature ({@code application/vnd.dev.cosign.simplesigning.v1+json}, the
 * payload) with its base64 signature in the annotation {@code dev.cosignproject.cosign/signature}.
 * At most 128 signatures of at most 4 MiB, as for a lookaside.
 */
public final class SigstoreAttachments {
    public static final String PAYLOAD_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

    /** One attached signature: the payload blob and the signature bytes. */
    public record Attached(byte[] payload, byte[] signature) {
    }

    /** Reads the attachments of an image; one source per image being checked. */
    @FunctionalInterface
    public interface Reader {
        List<Attached> read(Reference ref, Digest digest);
    }

    /** For callers without a registry at hand: attachments cannot be read, so there are none. */
    public static final Reader NONE = (ref, digest) -> List.of();

    private SigstoreAttachments() {
    }

    /** The attachments of {@code digest} in {@code ref}'s repository, through {@code client}. */
    public static List<Attached> read(RegistryClient client, Reference ref, Digest digest) {
        String tag = digest.algorithm() + "-" + digest.hex() + ".sig";
        RawManifest raw;
        try {
            raw = client.getManifest(ref.repository(), tag);
        } catch (NotFoundException none) {
            return List.of();
        }
        if (raw.isIndex()) {
            throw new PolicyException("the sigstore attachment " + ref.repository() + ":" + tag + " is an index,"
                    + " not a signature manifest");
        }
        Manifest m = raw.manifest();
        if (m.layers().size() > Lookaside.MAX_SIGNATURES) {
            throw new PolicyException(ref.repository() + ":" + tag + " holds " + m.layers().size()
                    + " signatures; more than " + Lookaside.MAX_SIGNATURES + " refused");
        }
        List<Attached> out = new ArrayList<>();
        for (Descriptor layer : m.layers()) {
            if (!PAYLOAD_TYPE.equals(layer.mediaType())) {
                continue; // e.g. an attestation: not a signature
            }
            String b64 = layer.annotations().get(SIGNATURE_ANNOTATION);
            if (b64 == null || layer.size() > Lookaside.MAX_SIGNATURE_BYTES) {
                out.add(new Attached(new byte[0], new byte[0])); // refused by the verifier, with the others
                continue;
            }
            byte[] signature;
            try {
                signature = Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                signature = new byte[0];
            }
            out.add(new Attached(client.readSmallBlob(ref.repository(), layer), signature));
        }
        return out;
    }
}
