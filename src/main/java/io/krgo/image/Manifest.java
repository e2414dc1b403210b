package io.krgo.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.krgo.error.UnsafeImageException;

import java.util.List;
import java.util.Map;

/** An image manifest (OCI or Docker schema 2): a config and ordered layers, oldest first. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(int schemaVersion, String mediaType, String artifactType, Descriptor config,
                       List<Descriptor> layers, Descriptor subject, Map<String, String> annotations) {

    public Manifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public Manifest(String mediaType, Descriptor config, List<Descriptor> layers) {
        this(2, mediaType, null, config, layers, null, null);
    }

    /** Parses and validates a manifest; the media type from the HTTP response is used when the body has none. */
    public static Manifest parse(byte[] bytes, String declaredMediaType) {
        Manifest m = Json.read(bytes, Manifest.class, "image manifest");
        String type = m.mediaType() != null ? m.mediaType() : declaredMediaType;
        if (MediaTypes.isSchema1(type) || m.schemaVersion() == 1) {
            throw new UnsafeImageException("Docker schema 1 manifests are unsupported (deprecated since 2017); "
                    + "re-push the image with a current client");
        }
        if (m.schemaVersion() != 2 || m.config() == null) {
            throw new UnsafeImageException("not an image manifest (schemaVersion 2 with a config is required)");
        }
        validate(m.config(), "config");
        for (Descriptor layer : m.layers()) {
            validate(layer, "layer");
        }
        return new Manifest(m.schemaVersion(), type == null ? MediaTypes.OCI_MANIFEST : type, m.artifactType(),
                m.config(), m.layers(), m.subject(), m.annotations());
    }

    private static void validate(Descriptor d, String what) {
        if (d.digest() == null || d.size() < 0) {
            throw new UnsafeImageException("manifest " + what + " descriptor lacks a digest or has a negative size");
        }
        d.parsedDigest();
    }

    public byte[] toJson() {
        return Json.write(this);
    }
}
