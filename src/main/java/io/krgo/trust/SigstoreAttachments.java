package io.krgo.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.NotFoundException;
import io.krgo.error.PolicyException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.reference.Reference;
import io.krgo.registry.RawManifest;
import io.krgo.registry.RegistryClient;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * cosign's signatures stored in the registry itself: the manifest tagged {@code sha256-HEX.sig} in the
 * image's repository, one layer per signature ({@code application/vnd.dev.cosign.simplesigning.v1+json}, the
 * payload) with its base64 signature in the annotation {@code dev.cosignproject.cosign/signature}.
 * At most 128 signatures of at most 4 MiB, as for a lookaside. Read for verification, appended to when
 * signing; an image's OCI 1.1 referrers are listed only to name formats krgo does not verify.
 */
public final class SigstoreAttachments {
    public static final String PAYLOAD_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One attached signature: the payload blob and the signature bytes. */
    public record Attached(byte[] payload, byte[] signature) {
    }

    /** Reads the attachments of an image; one source per image being checked. */
    @FunctionalInterface
    public interface Reader {
        List<Attached> read(Reference ref, Digest digest);

        /**
         * The artifact types of the image's OCI 1.1 referrers, asked only to name what a refusal found instead
         * of cosign's {@code .sig} tag (e.g. cosign 3's sigstore bundles); never a reason to accept.
         */
        default List<String> referrerTypes(Reference ref, Digest digest) {
            return List.of();
        }
    }

    /** For callers without a registry at hand: attachments cannot be read, so there are none. */
    public static final Reader NONE = (ref, digest) -> List.of();

    /** Sigstore bundles as cosign 3 attaches them by default (artifactType {@code ...bundle.v0.3+json} and kin). */
    static final String BUNDLE_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle";

    /** A reader through {@code client}, open for as long as the reader is used. */
    public static Reader through(RegistryClient client) {
        return new Reader() {
            @Override
            public List<Attached> read(Reference ref, Digest digest) {
                return SigstoreAttachments.read(client, ref, digest);
            }

            @Override
            public List<String> referrerTypes(Reference ref, Digest digest) {
                return SigstoreAttachments.referrerTypes(client, ref, digest);
            }
        };
    }

    /** A reader opening a client per question with {@code open}. */
    public static Reader opening(java.util.function.Function<Reference, RegistryClient> open) {
        return new Reader() {
            @Override
            public List<Attached> read(Reference ref, Digest digest) {
                try (RegistryClient client = open.apply(ref)) {
                    return SigstoreAttachments.read(client, ref, digest);
                }
            }

            @Override
            public List<String> referrerTypes(Reference ref, Digest digest) {
                try (RegistryClient client = open.apply(ref)) {
                    return SigstoreAttachments.referrerTypes(client, ref, digest);
                }
            }
        };
    }

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

    /**
     * The distinct {@code artifactType}s listed by the referrers API for {@code digest}, or, where the registry
     * lacks that API, by the distribution-spec 1.1 fallback tag {@code ALG-HEX}. Unreadable referrers count as
     * none: this only names formats in a refusal.
     */
    static List<String> referrerTypes(RegistryClient client, Reference ref, Digest digest) {
        try {
            byte[] index = client.referrers(ref.repository(), digest).orElse(null);
            if (index == null) {
                RawManifest fallback = client.getManifest(ref.repository(), digest.algorithm() + "-" + digest.hex());
                if (!fallback.isIndex()) {
                    return List.of();
                }
                index = fallback.bytes();
            }
            List<String> types = new ArrayList<>();
            for (JsonNode m : JSON.readTree(index).path("manifests")) {
                String type = m.path("artifactType").asText("");
                if (!type.isEmpty() && !types.contains(type)) {
                    types.add(type);
                }
            }
            return types;
        } catch (io.krgo.error.KrgoException | IOException unreadable) {
            return List.of();
        }
    }

    /**
     * Appends one signature to the {@code sha256-HEX.sig} manifest of {@code digest} in {@code ref}'s repository
     * (created when absent), as containers/image writes them: the payload as a new layer carrying the base64
     * signature in its annotation, its digest appended to the config's {@code rootfs.diff_ids}; what else the
     * manifest holds (older signatures, attestations, annotations) is kept as it was. Returns the tag.
     */
    public static String append(RegistryClient client, Reference ref, Digest digest, byte[] payload, byte[] signature) {
        String tag = digest.algorithm() + "-" + digest.hex() + ".sig";
        String repo = ref.repository();
        ObjectNode manifest;
        String mediaType;
        try {
            RawManifest raw = client.getManifest(repo, tag);
            if (raw.isIndex()) {
                throw new PolicyException("the sigstore attachment " + repo + ":" + tag + " is an index, not a"
                        + " signature manifest: not adding a signature to it");
            }
            manifest = (ObjectNode) JSON.readTree(raw.bytes());
            mediaType = raw.mediaType();
        } catch (NotFoundException none) {
            manifest = JSON.createObjectNode();
            manifest.put("schemaVersion", 2);
            manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
            manifest.putObject("config");
            manifest.putArray("layers");
            mediaType = MediaTypes.OCI_MANIFEST;
        } catch (IOException | ClassCastException e) {
            throw new PolicyException(repo + ":" + tag + " is not a manifest krgo can add a signature to");
        }
        ArrayNode layers = manifest.withArray("layers");
        if (layers.size() >= Lookaside.MAX_SIGNATURES) {
            throw new PolicyException(repo + ":" + tag + " already holds " + layers.size() + " signatures: not adding"
                    + " another");
        }
        Digest payloadDigest = Digest.sha256(payload);
        String b64 = Base64.getEncoder().encodeToString(signature);
        Descriptor layer = new Descriptor(PAYLOAD_TYPE, payloadDigest, payload.length);
        client.uploadBlob(repo, layer, () -> new ByteArrayInputStream(payload));
        ObjectNode entry = layers.addObject();
        entry.put("mediaType", PAYLOAD_TYPE);
        entry.put("digest", payloadDigest.toString());
        entry.put("size", payload.length);
        entry.putObject("annotations").put(SIGNATURE_ANNOTATION, b64);
        manifest.set("config", config(client, repo, manifest.path("config"), payloadDigest));
        try {
            client.putManifest(repo, tag, JSON.writeValueAsBytes(manifest), mediaType);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return tag;
    }

    /** The config with {@code added} appended to its diff_ids (cosign's layers are uncompressed), uploaded. */
    private static ObjectNode config(RegistryClient client, String repo, JsonNode old, Digest added) {
        ObjectNode config;
        String type = MediaTypes.OCI_CONFIG;
        if (old.path("digest").isTextual()) {
            Descriptor d = new Descriptor(old.path("mediaType").asText(type), Digest.parse(old.path("digest").asText()),
                    old.path("size").asLong());
            type = d.mediaType();
            try {
                config = (ObjectNode) JSON.readTree(client.readSmallBlob(repo, d));
            } catch (IOException | ClassCastException e) {
                throw new PolicyException(repo + ": the config of the signature manifest is not JSON");
            }
        } else {
            config = JSON.createObjectNode();
            config.put("architecture", "");
            config.put("os", "");
            config.putObject("config");
            config.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        }
        JsonNode rootfs = config.path("rootfs");
        if (rootfs.isObject()) {
            ((ObjectNode) rootfs).withArray("diff_ids").add(added.toString());
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(config);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Descriptor d = new Descriptor(type, Digest.sha256(bytes), bytes.length);
        client.uploadBlob(repo, d, () -> new ByteArrayInputStream(bytes));
        ObjectNode node = JSON.createObjectNode();
        node.put("mediaType", type);
        node.put("digest", d.digest());
        node.put("size", bytes.length);
        return node;
    }
}
