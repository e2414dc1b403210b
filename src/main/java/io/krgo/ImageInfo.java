package io.krgo;

import io.krgo.image.Descriptor;
import io.krgo.image.Image;
import io.krgo.image.Index;
import io.krgo.reference.Reference;

import java.util.Optional;

/**
 * What {@link Krgo#inspect} found.
 *
 * @param reference   what was asked for
 * @param descriptor  the manifest or index the reference names (digest, media type, size)
 * @param rawManifest its bytes exactly as the registry served them
 * @param index       the index, when the reference names one
 * @param image       the image for the asked platform; absent for an index when no platform was asked
 */
public record ImageInfo(Reference reference, Descriptor descriptor, byte[] rawManifest, Optional<Index> index,
                        Optional<Image> image) {
    public ImageInfo {
        rawManifest = rawManifest.clone();
    }

    @Override
    public byte[] rawManifest() {
        return rawManifest.clone();
    }
}
