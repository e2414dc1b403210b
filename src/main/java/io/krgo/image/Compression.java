package io.krgo.image;

/** How a layer blob is compressed. */
public enum Compression {
    NONE, GZIP, ZSTD,
    /** Declared by an unknown media type: decide from the magic bytes. */
    UNKNOWN
}
