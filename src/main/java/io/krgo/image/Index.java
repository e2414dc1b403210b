package io.krgo.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.krgo.error.NotFoundException;
import io.krgo.error.UnsafeImageException;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An OCI image index or Docker manifest list. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Index(int schemaVersion, String mediaType, List<Descriptor> manifests,
                    Map<String, String> annotations) {
    /** How many platforms {@link #availablePlatforms()} names before it only counts the rest. */
    public static final int MAX_LISTED_PLATFORMS = 20;

    public Index {
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static Index parse(byte[] bytes, String declaredMediaType) {
        Index index = Json.read(bytes, Index.class, "image index");
        if (index.schemaVersion() != 2) {
            throw new UnsafeImageException("image index has schemaVersion " + index.schemaVersion() + ", expected 2");
        }
        for (Descriptor d : index.manifests()) {
            if (d.digest() == null) {
                throw new UnsafeImageException("image index entry without a digest");
            }
            d.parsedDigest();
        }
        String type = index.mediaType() != null ? index.mediaType() : declaredMediaType;
        return new Index(2, type == null ? MediaTypes.OCI_INDEX : type, index.manifests(), index.annotations());
    }

    /**
     * The entry for {@code wanted}: an exact (normalised) match wins over one that only matches because no
     * variant was asked for. No match is a {@link NotFoundException} listing the platforms available.
     */
    public Descriptor select(Platform wanted) {
        Platform want = wanted.normalize();
        Optional<Descriptor> exact = manifests.stream()
                .filter(d -> d.platform() != null && want.equals(stripExtras(d.platform().normalize())))
                .findFirst();
        if (exact.isPresent()) {
            return exact.get();
        }
        return manifests.stream()
                .filter(d -> want.matches(d.platform()))
                .min(Comparator.comparing(d -> String.valueOf(d.platform().normalize().variant())))
                .orElseThrow(() -> new NotFoundException("no image for platform " + want + "; available: "
                        + availablePlatforms()));
    }

    private static Platform stripExtras(Platform p) {
        return new Platform(p.os(), p.architecture(), p.variant());
    }

    /**
     * The distinct platforms of the entries, comma-separated; at most {@link #MAX_LISTED_PLATFORMS}, then
     * how many more there are (an index may have thousands of entries; an error message stays one line).
     */
    public String availablePlatforms() {
        List<String> all = manifests.stream()
                .map(d -> d.platform() == null ? "unknown" : d.platform().normalize().toString())
                .filter(p -> !p.equals("unknown/unknown"))
                .distinct()
                .toList();
        if (all.isEmpty()) {
            return "none";
        }
        String shown = String.join(", ", all.subList(0, Math.min(all.size(), MAX_LISTED_PLATFORMS)));
        return all.size() <= MAX_LISTED_PLATFORMS ? shown : shown + " and " + (all.size() - MAX_LISTED_PLATFORMS) + " more";
    }

    public byte[] toJson() {
        return Json.write(this);
    }
}
