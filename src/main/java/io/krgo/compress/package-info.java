/**
 * Codecs of layer blobs: decompression chosen by media type or magic (zlib, ISA-L, zstd), parallel gzip
 * and ISA-L deflate for new layers, stored deflate blocks and Adler-32 for git objects.
 */
package io.krgo.compress;
