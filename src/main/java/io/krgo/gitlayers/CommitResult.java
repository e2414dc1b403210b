package io.krgo.gitlayers;

import io.krgo.image.Digest;

/** What {@code commit} made: the new branch, the image's new and previous config digests, and the layer. */
public record CommitResult(String branch, Digest configDigest, Digest parentConfigDigest, Digest layerDigest,
                           long layerSize, Digest diffId) {
}
