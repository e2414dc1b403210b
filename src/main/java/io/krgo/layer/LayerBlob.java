package io.krgo.layer;

import io.krgo.image.Compression;
import io.krgo.image.Digest;

/** A layer written into the content store: the blob's digest and size, and the uncompressed tar's digest. */
public record LayerBlob(Digest digest, long size, Digest diffId, Compression compression) {
}
