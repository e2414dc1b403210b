package io.krgo.registry;

import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Index;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;

import java.util.Arrays;
import java.util.Objects;

/**
 * A manifest or index exactly as the registry served it.
 *
 * @param bytes     the body (its sha256 is {@code digest})
 * @param mediaType from Content-Type, else from the body's mediaType field
 * @param digest    sha256 of {@code bytes}
 */
public record RawManifest(byte[] bytes, String mediaType, Digest digest) {

    public RawManifest {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public Descriptor descriptor() {
        return new Descriptor(mediaType, digest, bytes.length);
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }

    public Manifest manifest() {
        return Manifest.parse(bytes, mediaType);
    }

    public Index index() {
        return Index.parse(bytes, mediaType);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawManifest r && Arrays.equals(bytes, r.bytes) && mediaType.equals(r.mediaType)
                && digest.equals(r.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(bytes), mediaType, digest);
    }

    @Override
    public String toString() {
        return "RawManifest[" + mediaType + ", " + digest + ", " + bytes.length + " bytes]";
    }
}
