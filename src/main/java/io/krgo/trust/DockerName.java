package io.krgo.trust;

import io.krgo.error.KrgoException;
import io.krgo.reference.Reference;

import java.util.Optional;

/**
 * A docker reference as containers/image compares them in signatures and policies: normalised
 * ({@code busybox} is {@code docker.io/library/busybox}) but, unlike {@link Reference#parse}, without a
 * default tag, so {@code name} alone stays a bare repository.
 *
 * @param name   {@code host/path}
 * @param suffix {@code ":tag"}, {@code "@digest"}, {@code ":tag@digest"} or {@code ""}
 */
public record DockerName(String name, String suffix) {

    /** The name of {@code text}; empty when it is not a valid reference. */
    public static Optional<DockerName> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Reference ref;
        try {
            ref = Reference.parse(text);
        } catch (KrgoException | IllegalArgumentException e) {
            return Optional.empty();
        }
        String beforeDigest = text.contains("@") ? text.substring(0, text.indexOf('@')) : text;
        boolean tagged = beforeDigest.indexOf(':', beforeDigest.lastIndexOf('/') + 1) >= 0;
        String suffix = (tagged ? ":" + ref.tag() : "") + (ref.digest() != null ? "@" + ref.digest() : "");
        return Optional.of(new DockerName(ref.registry() + "/" + ref.repository(), suffix));
    }

    /** The image krgo fetches: its digest when it has one (the digest wins), else its tag. */
    public static DockerName of(Reference ref) {
        String name = ref.registry() + "/" + ref.repository();
        return new DockerName(name, ref.digest() != null ? "@" + ref.digest() : ":" + ref.tag());
    }

    boolean digested() {
        return suffix.contains("@");
    }

    boolean bare() {
        return suffix.isEmpty();
    }

    @Override
    public String toString() {
        return name + suffix;
    }
}
